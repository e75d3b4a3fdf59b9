"""Merging from the admin: select → choose the survivor → preview → confirm."""

from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from articles.models import ArticleCondition, Condition, Drug, EntityRedirect, LinkStatus

from .admin_support import action, change_url, changelist_url, messages_of
from .factories import ArticleFactory, ConditionFactory, DrugFactory, link

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.admin_fixtures"]

MERGE_URL = reverse("admin:articles_condition_merge")


@pytest.fixture
def conditions():
    keep = ConditionFactory(name="Alopecia Areata", slug="alopecia-areata", aliases=["patchy hair loss"])
    drop = ConditionFactory(name="Alopecia areata, patchy", slug="aa-patchy", aliases=["Patchy hair loss", "AA"])
    shared = ArticleFactory(title="Shared story")
    link(shared, keep, status=LinkStatus.SUGGESTED, mention_count=1)
    link(shared, drop, status=LinkStatus.CONFIRMED, mention_count=4)
    for _ in range(3):
        link(ArticleFactory(), keep)
    link(ArticleFactory(title="Only the other"), drop)
    return keep, drop


def test_merge_action_leads_to_the_preview(reviewer_client, conditions):
    keep, drop = conditions
    response = action(reviewer_client, Condition, "merge_selected", [keep, drop], follow=False)
    assert response.status_code == 302
    url = urlparse(response["Location"])
    assert url.path == MERGE_URL
    assert sorted(map(int, parse_qs(url.query)["ids"])) == sorted([keep.pk, drop.pk])


def test_preview_defaults_to_the_best_linked_and_says_what_will_change(reviewer_client, conditions):
    keep, drop = conditions
    response = reviewer_client.get(MERGE_URL, {"ids": [keep.pk, drop.pk]})
    assert response.status_code == 200
    assert response.context["survivor"] == keep
    html = response.content.decode()
    assert "<strong>1</strong> article link moves to “Alopecia Areata”" in html
    assert "Only the other" in html
    assert "Shared story: suggested + confirmed → <strong>confirmed</strong>, 4 mentions" in html
    assert "“AA”" in html and "dropped: “Patchy hair loss”" in html
    assert "<code>aa-patchy</code>" in html
    assert Condition.objects.filter(pk=drop.pk).exists()  # a preview changes nothing


def test_choosing_the_other_survivor_changes_the_preview(reviewer_client, conditions):
    keep, drop = conditions
    response = reviewer_client.get(MERGE_URL, {"ids": [keep.pk, drop.pk], "survivor": drop.pk})
    assert response.context["survivor"] == drop
    assert [link.article_id for link in response.context["plan"].links_moved] != []
    assert "<code>alopecia-areata</code>" in response.content.decode()


def test_confirm_merges_in_one_step_and_reports(reviewer, reviewer_client, conditions, client):
    keep, drop = conditions
    response = reviewer_client.post(MERGE_URL, {"ids": [keep.pk, drop.pk], "survivor": keep.pk}, follow=True)
    assert response.redirect_chain[-1][0] == change_url(keep)
    assert any(
        m.startswith("Merged “Alopecia areata, patchy” into “Alopecia Areata”: 1 link moved")
        for m in messages_of(response)
    )
    assert not Condition.objects.filter(pk=drop.pk).exists()
    assert ArticleCondition.objects.filter(condition=keep).count() == 5
    assert LogEntry.objects.filter(object_id=str(keep.pk), user=reviewer).exists()
    assert client.get("/conditions/aa-patchy/")["Location"] == "/conditions/alopecia-areata/"
    assert EntityRedirect.objects.filter(old_slug="aa-patchy", target_id=keep.pk).exists()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"ids": ["1"]}, "Select at least two conditions to merge."),
        ({"ids": ["x", "y"]}, "The selection is not a list of ids; select again."),
        ({"ids": [str(n) for n in range(1, 30)]}, "Merge at most 20 conditions at a time."),
        ({"ids": ["999998", "999999"]}, "2 of the selected conditions no longer exist; select again."),
    ],
)
def test_bad_selections_are_explained(reviewer_client, params, message):
    response = reviewer_client.get(MERGE_URL, params, follow=True)
    assert response.redirect_chain[-1][0] == changelist_url(Condition)
    assert message in messages_of(response)


def test_merge_of_drugs_from_their_changelist(reviewer_client):
    a, b, c = DrugFactory.create_batch(3)
    response = action(reviewer_client, Drug, "merge_selected", [a, b, c], follow=True)
    assert response.status_code == 200
    assert response.context["plan"].others
    response = reviewer_client.post(reverse("admin:articles_drug_merge"), {"ids": [a.pk, b.pk, c.pk], "survivor": b.pk})
    assert response.status_code == 302
    assert list(Drug.objects.values_list("pk", flat=True)) == [b.pk]


def test_preview_escapes_names(reviewer_client):
    a = ConditionFactory(name="<img src=x onerror=alert(1)>")
    b = ConditionFactory(name="Plain")
    html = reviewer_client.get(MERGE_URL, {"ids": [a.pk, b.pk]}).content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
