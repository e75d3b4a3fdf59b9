"""Search in a real browser (Chromium via Playwright): the suggestion list is a keyboard-usable
combobox, choosing a suggestion searches it, and the page works without JavaScript too."""

import pytest

from .searchkit import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def site(live_server, load_vocabulary_subset):
    build_world(load_vocabulary_subset)
    return live_server


def test_autocomplete_keyboard_and_results(browser, site, artifacts_dir):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.goto(f"{site.url}/")
    box = page.locator("#home-q")
    assert box.get_attribute("role") == "combobox" and box.get_attribute("aria-expanded") == "false"
    box.fill("jak")
    first = page.locator("#home-q-listbox [role=option]").first
    first.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    assert first.locator(".label").inner_text() == "Jakafi → Ruxolitinib"
    page.keyboard.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == "home-q-listbox-0"
    assert first.get_attribute("aria-selected") == "true"
    page.screenshot(path=str(artifacts_dir / "search-01-suggestions.png"))
    page.keyboard.press("Escape")
    assert box.get_attribute("aria-expanded") == "false"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=Jakafi")
    assert page.locator("h2#results-h").inner_text() == "3 articles for “Jakafi”"
    assert page.locator(".card h2").inner_text() == "Ruxolitinib"
    assert page.locator(".result mark").first.inner_text() in {"Jakafi", "Ruxolitinib", "ruxolitinib"}
    page.screenshot(path=str(artifacts_dir / "search-02-results.png"), full_page=True)
    page.locator(".facets a", has_text="Alopecia Areata").click()
    page.wait_for_url("**condition=alopecia-areata**")
    assert page.locator("h2#results-h").inner_text() == "2 articles for “Jakafi”"
    page.close()


def test_search_works_without_javascript(browser, site, artifacts_dir):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site.url}/")
    assert page.locator("#home-q").get_attribute("role") is None  # a plain search box
    page.fill("#home-q", "hair loss")
    page.press("#home-q", "Enter")
    page.wait_for_url("**/search/?q=hair+loss")
    assert "for “hair loss”" in page.locator("h2#results-h").inner_text()
    page.screenshot(path=str(artifacts_dir / "search-03-no-javascript.png"), full_page=True)
    context.close()
