"""The review queue: suggested links by default, filters, mentions in context, bulk review."""

import pytest

from articles.models import ArticleCondition, ArticleDrug, ArticleInstitution, LinkStatus

from .admin_support import action, changelist_url, messages_of
from .factories import ArticleFactory, ConditionFactory, DrugFactory, SourceFactory, link

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.admin_fixtures"]


def rows(response):
    return list(response.context["cl"].result_list)


@pytest.fixture
def queue():
    """Drug links in every status, from two sources, with confidence from low to high."""
    bbc, wire = SourceFactory(name="BBC", slug="bbc"), SourceFactory(name="Wire", slug="wire")
    body = "Doctors said the drug, sold as Jakafi, regrew hair. " + "Filler words here. " * 20
    first = ArticleFactory(title="Hair regrows", source=bbc, body=body)
    second = ArticleFactory(title="Second story", source=wire, body="Jakafi <script>alert(1)</script> again.")
    jakafi, other = DrugFactory(name="Ruxolitinib"), DrugFactory(name="Other drug")
    return {
        "high": link(first, jakafi, confidence=0.95, matched_text="Jakafi", first_offset=body.index("Jakafi")),
        "low": link(second, jakafi, confidence=0.3, matched_text="Jakafi", first_offset=0),
        "medium": link(first, other, confidence=0.6),
        "confirmed": link(second, other, status=LinkStatus.CONFIRMED),
        "rejected": link(ArticleFactory(), other, status=LinkStatus.REJECTED),
        "articles": (first, second),
        "drugs": (jakafi, other),
    }


def test_queue_opens_on_suggested_links_best_first(editor_client, queue):
    response = editor_client.get(changelist_url(ArticleDrug))
    assert [r.pk for r in rows(response)] == [queue["high"].pk, queue["medium"].pk, queue["low"].pk]
    for status, expected in (("confirmed", "confirmed"), ("rejected", "rejected")):
        response = editor_client.get(changelist_url(ArticleDrug), {"review": status})
        assert [r.pk for r in rows(response)] == [queue[expected].pk]
    assert len(rows(editor_client.get(changelist_url(ArticleDrug), {"review": "all"}))) == 5


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"confidence": "high"}, ["high"]),
        ({"confidence": "medium"}, ["medium"]),
        ({"confidence": "low"}, ["low"]),
        ({"article__source__id__exact": "SOURCE_WIRE"}, ["low"]),
        ({"article": "ARTICLE_FIRST"}, ["high", "medium"]),
        ({"drug": "DRUG_OTHER"}, ["medium"]),
        ({"q": "second story"}, ["low"]),
    ],
)
def test_queue_filters(editor_client, queue, params, expected):
    first, _ = queue["articles"]
    substitutes = {
        "SOURCE_WIRE": queue["low"].article.source_id,
        "ARTICLE_FIRST": first.pk,
        "DRUG_OTHER": queue["drugs"][1].pk,
    }
    params = {key: substitutes.get(value, value) for key, value in params.items()}
    response = editor_client.get(changelist_url(ArticleDrug), params)
    assert sorted(r.pk for r in rows(response)) == sorted(queue[name].pk for name in expected)


def test_queue_shows_the_article_filter_by_title(editor_client, queue):
    first, _ = queue["articles"]
    html = editor_client.get(changelist_url(ArticleDrug), {"article": first.pk}).content.decode()
    assert "Hair regrows" in html


def test_a_bad_filter_value_is_an_error_page_not_a_crash(editor_client, queue):
    for params in ({"review": "maybe"}, {"confidence": "huge"}, {"article": "abc"}):
        response = editor_client.get(changelist_url(ArticleDrug), params)
        assert response.status_code == 302
        assert response["Location"].endswith("?e=1")


def test_matched_text_is_shown_in_context_escaped_and_marked(editor_client, queue):
    html = editor_client.get(changelist_url(ArticleDrug)).content.decode()
    assert 'Doctors said the drug, sold as <mark class="mention">Jakafi</mark>, regrew hair.' in html
    assert '<mark class="mention">Jakafi</mark> &lt;script&gt;alert(1)&lt;/script&gt; again.' in html
    assert "<script>alert(1)" not in html


def test_tabs_count_what_is_left_to_review_in_each_queue(editor_client, queue):
    link(ArticleFactory(), ConditionFactory())
    response = editor_client.get(changelist_url(ArticleDrug))
    tabs = {tab["label"]: (tab["pending"], tab["current"]) for tab in response.context["review_queues"]}
    assert tabs == {
        "Conditions": ("1", False),
        "Drugs": ("3", True),
        "Institutions": ("0", False),
        "Drug classes": ("0", False),
    }
    for model in (ArticleCondition, ArticleInstitution):
        assert editor_client.get(changelist_url(model)).status_code == 200


def test_bulk_confirm_and_reject_record_who_and_when(editor, editor_client, queue):
    selected = [queue["high"], queue["confirmed"]]
    response = action(editor_client, ArticleDrug, "confirm_links", selected, query="?review=all")
    msgs = messages_of(response)
    assert "1 link confirmed." in msgs
    assert "1 of the selected links were already confirmed." in msgs
    queue["high"].refresh_from_db()
    assert (queue["high"].status, queue["high"].reviewed_by) == (LinkStatus.CONFIRMED, editor)
    assert queue["high"].reviewed_at is not None
    record = queue["high"].history.latest()
    assert (record.history_user, record.status) == (editor, LinkStatus.CONFIRMED)
    queue["confirmed"].refresh_from_db()
    assert queue["confirmed"].reviewed_by is None  # already confirmed: left alone

    response = action(editor_client, ArticleDrug, "reject_links", [queue["low"], queue["medium"]])
    assert "2 links rejected." in messages_of(response)
    assert set(
        ArticleDrug.objects.filter(status=LinkStatus.REJECTED, reviewed_by=editor).values_list("pk", flat=True)
    ) == {
        queue["low"].pk,
        queue["medium"].pk,
    }
    # A rejected link disappears from the public article page.
    assert queue["low"].article.drug_links.visible().count() == 1


def test_link_added_in_the_queue_is_a_confirmed_review(reviewer, reviewer_client):
    # (A published article's links are a Reviewer's to change: tests/test_review_bypass.py.)
    from articles import services

    article = services.publish(article=ArticleFactory())
    drug = DrugFactory()
    response = reviewer_client.post(
        f"{changelist_url(ArticleDrug)}add/",
        {
            "article": article.pk,
            "drug": drug.pk,
            "status": "confirmed",
            "origin": "auto",
            "confidence": "1",
            "matched_text": "",
            "first_offset": "",
            "mention_count": "1",
        },
    )
    assert response.status_code == 302
    row = ArticleDrug.objects.get(article=article, drug=drug)
    assert (row.origin, row.reviewed_by, row.published) == ("editor", reviewer, article.published)


def test_the_admin_index_is_a_workbench(editor_client, queue):
    html = editor_client.get("/admin/").content.decode()
    assert "<caption>Workbench</caption>" in html
    assert "Review drug links</a></th><td>3 to review" in html
    assert 'href="/admin/articles/article/import/"' in html


def test_a_mention_only_in_the_title_says_so(editor_client):
    article = ArticleFactory(title="Jakafi & <hair>", body="No mention here.")
    link(article, DrugFactory(), matched_text="<hair>", first_offset=None, in_title=True)
    html = editor_client.get(changelist_url(ArticleDrug)).content.decode()
    assert "in the title: “&lt;hair&gt;”" in html


def test_queue_counts_stop_counting_at_a_cap(queue):
    from articles.admin.base import capped_count

    suggested = ArticleDrug.objects.suggested()
    assert (capped_count(suggested, cap=3), capped_count(suggested, cap=2)) == ("3", "2+")
