"""The admin at 1280 px (Chromium via Playwright): the review queue, the article page and the
import result fit the window with no horizontal scrolling, and the import result names titles."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from articles.models import Article, ArticleCondition, LinkOrigin, LinkStatus

from .admin_support import PASSWORD, change_url, ensure_roles
from .factories import ArticleFactory, ConditionFactory, DrugFactory, InstitutionFactory, link

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

WIDTH = 1280
# Our own sentences: long words and a long title, as real stories have.
LONG_TITLE = (
    "Researchers describe how a once-daily pill regrew hair in adults with longstanding patchy hair loss "
    "across three hospitals over eighteen months of follow-up"
)
BODY = "\n\n".join(
    f"Paragraph {n}: the investigators followed adults with alopecia areata taking baricitinib and "
    "compared regrowth against placebo at the Northfield University Hospital, noting side effects."
    for n in range(8)
)
STORY = f"""{LONG_TITLE}
Published 4 February 2020

{BODY}
"""


@pytest.fixture
def desk(live_server, load_vocabulary_subset):
    load_vocabulary_subset(drugs={"Baricitinib"}, conditions={"Alopecia Areata"}, institutions=set())
    ensure_roles()
    user = get_user_model().objects.create_user("rita", "rita@example.org", PASSWORD, is_staff=True)
    user.groups.set([Group.objects.get(name="Reviewer")])
    article = ArticleFactory(title=LONG_TITLE, body=BODY, slug="a-" + "very-long-slug-" * 10)
    names = [
        "Alopecia Areata, Loose Anagen Hair Syndrome and Follicular Mucinosis of the scalp",
        "Hypotrichosis-lymphedema-telangiectasia-renal defect syndrome",
    ]
    for name in names:
        condition = ConditionFactory(name=name)
        link(
            article,
            condition,
            first_offset=20,
            matched_text="investigators",
            mention_count=3,
            confidence=0.87,
            origin=LinkOrigin.AUTO,
            status=LinkStatus.SUGGESTED,
        )
    link(article, DrugFactory(name="Baricitinibumab-extended-release"), first_offset=60, matched_text="baricitinib")
    link(article, InstitutionFactory(name="Northfield University Hospital"), first_offset=120, matched_text="x")
    return live_server, article


def overflow(page):
    """Horizontal overflow: the page's, and any scrolled box's (Django wraps tables in one)."""
    return page.evaluate(
        """() => {
        const out = [];
        const doc = document.documentElement;
        if (doc.scrollWidth > window.innerWidth) out.push(['page', doc.scrollWidth]);
        for (const el of document.querySelectorAll('body *')) {
            const style = getComputedStyle(el);
            if (['auto', 'scroll'].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1)
                out.push([el.className || el.tagName, el.scrollWidth, el.clientWidth]);
        }
        return out;
    }"""
    )


def right_edge(page, selector):
    return page.evaluate(
        f"() => Math.max(...[...document.querySelectorAll('{selector}')].map(e => e.getBoundingClientRect().right))"
    )


def test_admin_pages_fit_1280px(browser, desk, artifacts_dir):
    server, article = desk
    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    page.goto(server.url + "/admin/")
    page.fill("#id_username", "rita")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.goto(server.url + "/admin/articles/articlecondition/")
    page.locator("#result_list").wait_for()
    page.screenshot(path=str(artifacts_dir / "admin-1280-review-queue.png"), full_page=True)
    assert overflow(page) == []
    for column in ("confidence_display", "status", "origin"):
        assert right_edge(page, f"#result_list .column-{column}") <= WIDTH, column

    page.goto(server.url + change_url(article))
    page.locator("#article_form").wait_for()
    page.screenshot(path=str(artifacts_dir / "admin-1280-article.png"), full_page=True)
    assert overflow(page) == []

    page.goto(server.url + "/admin/articles/article/import/")
    page.fill("textarea[name=text]", STORY)
    page.get_by_role("button", name="Import").click()
    page.get_by_role("heading", name="Result").wait_for()
    page.screenshot(path=str(artifacts_dir / "admin-1280-import-result.png"), full_page=True)
    assert overflow(page) == []
    imported = Article.objects.exclude(pk=article.pk).get()
    cell = page.locator(".import-report td.article a").first
    assert cell.inner_text() == imported.title  # the title, whole, not a slug
    assert imported.published.year == 2020
    assert ArticleCondition.objects.filter(article=imported).exists()


def test_an_editor_sees_a_styled_403_and_a_reviewer_the_merge_warning(browser, live_server, artifacts_dir):
    ensure_roles()
    for name, role in (("edna", "Editor"), ("rene", "Reviewer")):
        user = get_user_model().objects.create_user(name, f"{name}@example.org", PASSWORD, is_staff=True)
        user.groups.set([Group.objects.get(name=role)])
    parent = ConditionFactory(name="Hair diseases", tree_numbers=["C17.800.329"])
    child = ConditionFactory(name="Alopecia", tree_numbers=["C17.800.329.937"])
    merge = f"{live_server.url}/admin/articles/condition/merge/?ids={parent.pk}&ids={child.pk}&survivor={parent.pk}"

    def log_in(page, name):
        page.goto(live_server.url + "/admin/login/")
        page.fill("#id_username", name)
        page.fill("#id_password", PASSWORD)
        page.get_by_role("button", name="Log in").click()

    page = browser.new_page(viewport={"width": WIDTH, "height": 700})
    log_in(page, "edna")
    response = page.goto(merge)
    assert response.status == 403
    page.get_by_role("heading", name="You need another role for this page").wait_for()
    page.screenshot(path=str(artifacts_dir / "admin-403-editor-on-merge.png"), full_page=True)
    assert "needs the Reviewer role" in page.locator(".denied-need").inner_text()
    assert page.evaluate("getComputedStyle(document.querySelector('#header')).backgroundColor") != "rgba(0, 0, 0, 0)"

    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    log_in(page, "rene")
    page.goto(merge)
    warning = page.locator(".merge-warnings")
    warning.wait_for()
    page.screenshot(path=str(artifacts_dir / "admin-merge-ancestor-warning.png"), full_page=True)
    assert "narrower term of “Hair diseases”" in warning.inner_text()
    assert overflow(page) == []
