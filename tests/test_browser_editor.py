"""An editor's day in a real browser (Chromium via Playwright), with a screenshot per step:
log in, import the example, review links, merge two conditions, publish, read it in public."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from articles import services
from articles.models import (
    Article,
    ArticleCondition,
    ArticleDrug,
    ArticleInstitution,
    ArticleStatus,
    Condition,
    ConditionAlias,
    EntityRedirect,
    LinkStatus,
    Origin,
)

from .admin_support import PASSWORD, ensure_roles

# serialized_rollback: the roles the data migration creates survive other tests' flushes.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def newsroom(live_server, load_vocabulary_subset):
    """The vocabulary the example needs, a reviewer, and a duplicate condition an editor made once."""
    load_vocabulary_subset(
        drugs={"Ruxolitinib"},
        conditions={"Alopecia Areata", "Alopecia"},
        institutions={"Columbia University", "Columbia University Irving Medical Center", "Nature Medicine"},
    )
    ensure_roles()
    user = get_user_model().objects.create_user("rita", "rita@example.org", PASSWORD, is_staff=True)
    user.groups.set([Group.objects.get(name="Reviewer")])
    duplicate = Condition.objects.create(name="Patchy alopecia", slug="patchy-alopecia", origin=Origin.EDITOR)
    ConditionAlias.objects.create(condition=duplicate, text="Patchy alopecia")
    older = services.publish(
        article=Article.objects.create(
            title="An older story on patchy hair loss", slug="older", body="Text.", published=timezone.now()
        )
    )
    ArticleCondition.objects.create(article=older, condition=duplicate, status=LinkStatus.CONFIRMED)
    services.sync_link_dates(article_ids=[older.pk])
    return live_server


def run_action(page, row_text, action):
    page.locator("#result_list tbody tr", has_text=row_text).locator("input.action-select").check()
    page.select_option("select[name=action]", action)
    page.get_by_role("button", name="Go").click()


def test_an_editors_day(browser, newsroom, artifacts_dir, scraped_article_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    shot = iter(range(1, 100))

    def screenshot(name):
        page.screenshot(path=str(artifacts_dir / f"editor-{next(shot):02d}-{name}.png"), full_page=True)

    # Log in.
    page.goto(newsroom.url + "/admin/")
    page.fill("#id_username", "rita")
    page.fill("#id_password", PASSWORD)
    screenshot("login")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("table", name="Workbench").wait_for()
    screenshot("workbench")

    # Import the example file.
    page.get_by_role("link", name="Import articles", exact=True).click()
    page.set_input_files("input[name=files]", str(scraped_article_path))
    page.fill("input[name=source]", "BBC News")
    page.get_by_role("button", name="Import").click()
    page.get_by_role("heading", name="Result").wait_for()
    assert "1 imported, 0 updated, 0 duplicates" in page.locator(".import-summary").inner_text()
    screenshot("import-result")
    article = Article.objects.get(source__name="BBC News")
    assert article.status == ArticleStatus.DRAFT

    # The review queue: confirm the drug, reject a weaker institution link.
    page.get_by_role("link", name="Open the review queue").click()
    queues = page.get_by_role("navigation", name="Review queues")
    queues.get_by_role("link", name=re.compile(r"^Drugs")).click()
    ruxolitinib = page.locator("#result_list tbody tr", has_text="Ruxolitinib")
    assert ruxolitinib.locator("mark.mention").inner_text().lower() == "ruxolitinib"
    screenshot("review-queue")
    run_action(page, "Ruxolitinib", "confirm_links")
    page.get_by_text("1 link confirmed.").wait_for()
    screenshot("confirmed")
    queues.get_by_role("link", name=re.compile(r"^Institutions")).click()
    page.locator("#result_list tbody tr").first.wait_for()
    row = page.locator("#result_list tbody tr").filter(
        has=page.get_by_role("link", name="Columbia University", exact=True)
    )
    row.locator("input.action-select").check()
    page.select_option("select[name=action]", "reject_links")
    page.get_by_role("button", name="Go").click()
    page.get_by_text("1 link rejected.").wait_for()
    screenshot("rejected")
    assert ArticleDrug.objects.get(article=article).status == LinkStatus.CONFIRMED
    rejected = ArticleInstitution.objects.get(article=article, status=LinkStatus.REJECTED)
    assert rejected.institution.name == "Columbia University"

    # The article's page lists its links with their status; "add drug links" offers an autocomplete.
    page.goto(newsroom.url + f"/admin/articles/article/{article.pk}/change/")
    links = page.locator("#drug_links-group")
    assert "confirmed by an editor" in links.locator("select option[selected]").first.inner_text()
    page.locator("#drug_links-2-group .add-row a").click()
    page.locator("#drug_links-2-group .select2-selection").first.click()
    page.keyboard.type("ruxo")
    page.locator(".select2-results__option", has_text="Ruxolitinib").wait_for()
    screenshot("article-links")
    page.keyboard.press("Escape")

    # Merge the editor's duplicate into the MeSH condition.
    page.goto(newsroom.url + "/admin/articles/condition/?q=alopecia")
    for name in ("Alopecia Areata", "Patchy alopecia"):
        page.locator("#result_list tbody tr").filter(has=page.get_by_role("link", name=name, exact=True)).locator(
            "input.action-select"
        ).check()
    page.select_option("select[name=action]", "merge_selected")
    page.get_by_role("button", name="Go").click()
    page.get_by_role("heading", name=re.compile("What will change")).wait_for()
    survivor = Condition.objects.get(name="Alopecia Areata")
    page.check(f"#survivor-{survivor.pk}")
    page.get_by_role("button", name="Preview with this choice").click()
    assert "An older story on patchy hair loss" in page.locator(".changes").inner_text()
    screenshot("merge-preview")
    page.get_by_role("button", name="Merge into “Alopecia Areata”").click()
    page.get_by_text(re.compile("Merged “Patchy alopecia” into “Alopecia Areata”")).wait_for()
    screenshot("merged")
    assert not Condition.objects.filter(name="Patchy alopecia").exists()
    assert EntityRedirect.objects.filter(old_slug="patchy-alopecia", target_id=survivor.pk).exists()

    # Publish.
    page.goto(newsroom.url + "/admin/articles/article/")
    article.refresh_from_db()
    if article.published is None:  # the page states no date: publishing waits for the editor's
        run_action(page, article.title, "publish_articles")
        page.get_by_text(re.compile("has no publication date")).wait_for()
        screenshot("publish-refused-without-date")
        page.goto(newsroom.url + f"/admin/articles/article/{article.pk}/change/")
        page.fill("#id_published_0", "2019-06-01")
        page.fill("#id_published_1", "09:00:00")
        page.get_by_role("button", name="Save", exact=True).click()
        page.goto(newsroom.url + "/admin/articles/article/")
    run_action(page, article.title, "publish_articles")
    page.get_by_text("1 article published.").wait_for()
    screenshot("published")
    article.refresh_from_db()
    assert article.status == ArticleStatus.PUBLISHED
    assert article.published_by.username == "rita"

    # The public site shows it, with the confirmed drug and without the rejected link.
    page.goto(newsroom.url + article.get_absolute_url())
    assert page.locator("h1").inner_text() == article.title
    mentioned = page.locator("main")
    assert mentioned.get_by_role("link", name="Ruxolitinib").first.is_visible()
    assert page.locator('a[href="/institutions/columbia-university/"]').count() == 0
    screenshot("public-article")
    page.goto(newsroom.url + "/conditions/patchy-alopecia/")
    assert page.url.endswith(survivor.get_absolute_url())
    assert "An older story on patchy hair loss" in page.content()
    screenshot("merged-condition-public")
    page.close()
