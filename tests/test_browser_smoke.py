"""The demo site in a real browser (Chromium via Playwright): styled, navigable, keyboard-usable."""

import pytest
from django.core.management import call_command

from articles.models import Article

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def demo_live(live_server, load_vocabulary_subset):
    from articles import demo

    records = demo.read()
    load_vocabulary_subset(
        drugs={n for r in records for n in r.get("drugs", [])},
        conditions={n for r in records for n in r.get("conditions", [])},
        institutions={n for r in records for n in r.get("institutions", [])},
    )
    call_command("load_demo", verbosity=0)
    return live_server


def test_reader_opens_an_article_from_the_home_page(browser, demo_live, artifacts_dir):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(demo_live.url + "/")
    # The stylesheet is served (whitenoise/staticfiles) and applied.
    assert page.evaluate("getComputedStyle(document.querySelector('.site-header')).borderBottomStyle") == "solid"
    # Keyboard users get a skip link first.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"

    newest = Article.objects.published().originals().order_by("-published").first()
    page.get_by_role("link", name=newest.title).first.click()
    page.wait_for_url(f"**{newest.get_absolute_url()}")
    assert page.locator("h1").inner_text() == newest.title
    assert page.get_by_role("heading", name="Mentioned in this article").is_visible()
    page.screenshot(path=str(artifacts_dir / "smoke-article.png"), full_page=True)
    page.close()
