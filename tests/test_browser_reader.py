"""A reader on the demo site, in Chromium: from a brand-name search to a condition's feed,
at desktop and phone widths. Screenshots of every step go to test-artifacts/."""

import pytest
from django.core.management import call_command

from articles import demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def reader_site(live_server, load_vocabulary_subset):
    """The demo articles, and Alopecia (the parent of Alopecia Areata) with the vocabulary they name."""
    records = demo.read()
    names = {key: {n for r in records for n in r.get(key, [])} for key in ("drugs", "conditions", "institutions")}
    names["conditions"].add("Alopecia")
    load_vocabulary_subset(**names)
    call_command("load_demo", verbosity=0)
    return live_server


def shoot(page, artifacts_dir, name):
    page.screenshot(path=str(artifacts_dir / f"reader-{name}.png"), full_page=True)


def test_reader_goes_from_a_brand_name_to_a_condition_feed(browser, reader_site, artifacts_dir):
    page = browser.new_page(viewport=DESKTOP)
    page.goto(reader_site.url + "/")
    shoot(page, artifacts_dir, "1-home-desktop")

    page.get_by_label("Search by drug (generic or brand), condition or institution").fill("Jakafi")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=Jakafi")
    assert "Jakafi" in page.locator("main").inner_text()
    shoot(page, artifacts_dir, "2-search-desktop")

    page.locator("main a[href='/drugs/ruxolitinib/']").first.click()
    page.wait_for_url("**/drugs/ruxolitinib/")
    assert page.locator("h1").inner_text() == "Ruxolitinib"
    assert "Jakafi" in page.locator(".aliases").first.inner_text()
    assert page.locator("svg.timeline-wide").is_visible() and not page.locator("svg.timeline-narrow").is_visible()
    shoot(page, artifacts_dir, "3-drug-desktop")

    # The demo never names ruxolitinib with alopecia areata in one sentence (its story is about
    # deuruxolitinib): no claim that it is reported for it; the story's own tags lead there.
    reported = page.locator(".entity-side section", has_text="Conditions it is reported for")
    assert reported.count() == 0 or "Alopecia Areata" not in reported.inner_text()
    page.locator("main a.tag.condition[href='/conditions/alopecia-areata/']").first.click()
    page.wait_for_url("**/conditions/alopecia-areata/")
    assert page.locator("h1").inner_text() == "Alopecia Areata"
    shoot(page, artifacts_dir, "4-condition-desktop")

    # Up the MeSH tree, by the breadcrumb.
    page.get_by_role("navigation", name="Place in the MeSH tree").get_by_role("link", name="Alopecia").click()
    page.wait_for_url("**/conditions/alopecia/")
    assert page.locator("h1").inner_text() == "Alopecia"
    assert page.get_by_role("link", name="Alopecia Areata").first.is_visible()  # its narrower condition
    shoot(page, artifacts_dir, "5-parent-desktop")

    # Subscribe: the feed the page offers answers with XML about this condition.
    rss = page.locator(".follow").get_by_role("link", name="RSS")
    feed = page.request.get(reader_site.url + rss.get_attribute("href"))
    assert feed.ok and feed.headers["content-type"].startswith("application/rss+xml")
    assert "<title>NewsBase: Alopecia and narrower conditions</title>" in feed.text()  # as the page, by default

    page.goto(reader_site.url + "/conditions/alopecia/?narrower=1")
    page.locator("main .item h3 a").first.click()
    page.wait_for_selector("h1#article-title")
    assert page.get_by_role("heading", name="Mentioned in this article").is_visible()
    shoot(page, artifacts_dir, "6-article-desktop")
    page.close()


PHONE_PAGES = [
    ("home", "/"),
    ("search", "/search/?q=Jakafi"),
    ("condition", "/conditions/alopecia-areata/"),
    ("conditions", "/conditions/"),
    ("drug", "/drugs/ruxolitinib/"),
    ("parent", "/conditions/alopecia/"),
    ("article", "/articles/deuruxolitinib-leqselvi-approved/"),
]


def test_pages_fit_a_phone_and_show_keyboard_focus(browser, reader_site, artifacts_dir):
    page = browser.new_page(viewport=PHONE)
    for name, path in PHONE_PAGES:
        page.goto(reader_site.url + path)
        shoot(page, artifacts_dir, f"phone-{name}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} scrolls sideways: {width}px wide"
        tops = page.evaluate("[...document.querySelectorAll('.site-header nav a')].map(a => a.offsetTop)")
        assert len(set(tops)) == 1, f"{path}: the main menu wraps onto a second line"
        # Keyboard focus is visible: the first Tab reaches the skip link, outlined, then a header link.
        page.locator("body").focus()
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "(() => { const s = getComputedStyle(document.activeElement);"
            " return [document.activeElement.tagName, s.outlineStyle, parseFloat(s.outlineWidth)]; })()"
        )
        assert focused[0] == "A" and focused[1] == "solid" and focused[2] >= 2, (path, focused)
    # On a phone the narrow chart is drawn, not a shrunken wide one.
    page.goto(reader_site.url + "/drugs/ruxolitinib/")
    assert page.locator("svg.timeline-narrow").is_visible() and not page.locator("svg.timeline-wide").is_visible()
    page.close()
