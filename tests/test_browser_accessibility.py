"""The public site for every reader, checked by tools nobody here wrote (issue 14, items 13 and 17).

- axe-core (WCAG 2.1 A and AA rules) in Chromium over the main pages: no serious or
  critical violation.
- The Nu HTML checker (vnu.jar) over the same pages as served: no error.
- On a 390 px phone: a Filters control above the search results, and the evidence box
  with its "Read with care" caution before the story.

The tools come from npm (package.json, installed by `make install-dev`); they are a
failure under REQUIRE_BROWSER=1 when missing, else a skip. Screenshots go to
test-artifacts/. One live server, one world and one browser context per test.
"""

import json
import subprocess

import pytest

from articles.models import StudyType

from .searchkit import build_world

# serialized_rollback: the roles the data migration creates survive this flush (as in the other browser modules).
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def site(live_server, load_vocabulary_subset):
    world = build_world(load_vocabulary_subset)
    # The Jakafi story reports a three-person case series: the article page has its evidence box and caution.
    world.jakafi_story.study_type = StudyType.CASE_SERIES
    world.jakafi_story.participants = 3
    world.jakafi_story.journal = "Nature Medicine"
    world.jakafi_story.save()
    return live_server, world


def main_pages(world):
    """{name: path} of the pages every reader meets."""
    return {
        "home": "/",
        "search": "/search/",
        "search-results": "/search/?q=Jakafi",
        "article": world.jakafi_story.get_absolute_url(),
        "articles": "/articles/",
        "condition": world.areata.get_absolute_url(),
        "drug": world.rux.get_absolute_url(),
        "institution": world.columbia.get_absolute_url(),
        "conditions-az": "/conditions/",
        "drugs-az": "/drugs/",
        "institutions-az": "/institutions/",
    }


def blocking_violations(page, axe_source):
    """[(rule id, impact, help, [target...])] of axe's serious and critical WCAG 2.1 A/AA violations."""
    page.add_script_tag(content=axe_source)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return [
        (v["id"], v["impact"], v["help"], [node["target"] for node in v["nodes"]][:5])
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


def test_main_pages_pass_axe_and_the_nu_html_checker(browser, site, axe_source, vnu_command, tmp_path, artifacts_dir):
    server, world = site
    # axe's script is injected inline: the site's strict CSP would refuse it, so this context bypasses CSP.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    # The checker finds what it should: faint text on white is a serious violation.
    page.set_content('<html lang="en"><title>t</title><main><p style="color:#bbb">Faint text</p></main></html>')
    assert "color-contrast" in [rule for rule, *_ in blocking_violations(page, axe_source)]
    found, files = {}, []
    for name, path in main_pages(world).items():
        response = page.goto(server.url + path)
        assert response.status == 200, (name, path, response.status)
        found[name] = blocking_violations(page, axe_source)
        if name in ("drug", "search", "articles"):
            page.screenshot(path=str(artifacts_dir / f"a11y-{name}.png"), full_page=True)
        # The HTML as served (not as the browser rebuilt it) goes to the Nu checker.
        files.append(tmp_path / f"{name}.html")
        files[-1].write_bytes(response.body())
    context.close()
    assert {name: v for name, v in found.items() if v} == {}

    checked = subprocess.run(  # a fixed command line: java -jar vnu.jar
        [*vnu_command, "--errors-only", "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    messages = json.loads(checked.stderr or checked.stdout or '{"messages": []}')["messages"]
    errors = [(m["url"].rsplit("/", 1)[-1], m.get("lastLine"), m["message"]) for m in messages if m["type"] == "error"]
    assert errors == []
    assert checked.returncode == 0, checked.stderr[-2000:]


def test_phone_shows_filters_before_results_and_cautions_before_the_story(browser, site, artifacts_dir, axe_source):
    server, world = site
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True, bypass_csp=True
    )
    page = context.new_page()

    page.goto(server.url + "/search/?q=Jakafi")
    filters = page.locator("details.filters > summary")
    first_result = page.locator(".results article.item").first
    assert filters.is_visible() and filters.inner_text().startswith("Filters")
    assert filters.bounding_box()["y"] < first_result.bounding_box()["y"]
    # Closed on a phone: the results come right after it, on the first screen.
    assert page.locator("details.filters").get_attribute("open") is None
    assert first_result.bounding_box()["y"] < PHONE["height"]
    page.screenshot(path=str(artifacts_dir / "phone-search-filters-closed.png"), full_page=False)
    filters.click()
    facet = page.locator(".facets .facet a").first
    assert facet.is_visible() and facet.bounding_box()["y"] < first_result.bounding_box()["y"]
    page.screenshot(path=str(artifacts_dir / "phone-search-filters-open.png"), full_page=False)
    # Nothing wider than the phone, and the panel passes axe too.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert blocking_violations(page, axe_source) == []

    page.goto(server.url + world.jakafi_story.get_absolute_url())
    caution = page.locator(".evidence-box .caution").first
    body = page.locator(".article .body")
    assert caution.is_visible() and caution.inner_text().startswith("Read with care:")
    assert caution.bounding_box()["y"] < body.bounding_box()["y"]
    assert caution.bounding_box()["y"] < PHONE["height"]  # on the first screen
    page.screenshot(path=str(artifacts_dir / "phone-article-evidence.png"), full_page=False)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert blocking_violations(page, axe_source) == []

    # Wide screens keep the facets beside the results, open, with no Filters toggle.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(server.url + "/search/?q=Jakafi")
    assert page.locator("details.filters").get_attribute("open") is not None
    assert not page.locator("details.filters > summary").is_visible()
    facets, results = page.locator(".facets").bounding_box(), page.locator(".results").bounding_box()
    assert facets["x"] > results["x"] + results["width"] - 1
    page.screenshot(path=str(artifacts_dir / "desktop-search-facets.png"), full_page=False)
    context.close()
