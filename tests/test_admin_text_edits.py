"""Saving an article in the admin: line endings stay LF and the links follow the new text."""

import pytest

from articles.models import ArticleDrug, LinkStatus

from .admin_support import change_url
from .factories import ArticleFactory, DrugFactory, link
from .test_admin_workflow import article_form_data

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.admin_fixtures"]

BODY = "A first paragraph about nothing much.\n\nThen the trial of Zelbrutinib in adults.\n\nZelbrutinib again."


def test_saving_with_crlf_from_the_browser_changes_nothing_in_the_body(editor_client):
    article = ArticleFactory(title="An old title", body=BODY)
    drug = DrugFactory(name="Zelbrutinib")
    row = link(article, drug, first_offset=BODY.index("Zelbrutinib"), matched_text="Zelbrutinib", mention_count=2)
    records = article.history.count()
    posted = article_form_data(article, title="A new title", body=BODY.replace("\n", "\r\n"))
    response = editor_client.post(change_url(article), posted)
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.body == BODY  # no CR crept in
    assert article.history.count() == records + 1
    latest = article.history.latest()
    changed = {change.field for change in latest.diff_against(latest.prev_record).changes}
    assert "title" in changed and "body" not in changed
    row.refresh_from_db()
    assert article.body[row.first_offset :].startswith("Zelbrutinib")


def test_a_new_title_and_body_recompute_offsets_counts_and_in_title_but_keep_the_review(editor_client, editor):
    article = ArticleFactory(title="An old title", body=BODY)
    drug = DrugFactory(name="Zelbrutinib")
    row = link(
        article,
        drug,
        first_offset=BODY.index("Zelbrutinib"),
        matched_text="Zelbrutinib",
        mention_count=2,
        status=LinkStatus.REJECTED,
    )
    new_body = "A longer opening paragraph was added here.\n\n" + BODY + "\n\nZELBRUTINIB a third time."
    posted = article_form_data(article, title="Zelbrutinib in adults", body=new_body.replace("\n", "\r\n"))
    assert editor_client.post(change_url(article), posted).status_code == 302
    row = ArticleDrug.objects.get(pk=row.pk)
    assert row.first_offset == new_body.index("Zelbrutinib")
    assert new_body[row.first_offset : row.first_offset + len(row.matched_text)] == "Zelbrutinib"
    assert (row.mention_count, row.in_title, row.status) == (3, True, LinkStatus.REJECTED)
