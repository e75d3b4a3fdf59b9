"""A drug page claims "Conditions it is reported for" only where a story reports the drug for
the condition: both named in one sentence, or an editor's confirmation; with the number of
stories (issue 14, item 10). SQLite and PostgreSQL."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from articles import reports, services
from articles.ingest.extract import Record
from articles.ingest.pipeline import import_records
from articles.models import ArticleStatus, DrugConditionReport, LinkOrigin, LinkStatus

from .factories import DrugFactory
from .searchkit import build_world, story
from .sitekit import between, get

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(load_vocabulary_subset):
    return build_world(load_vocabulary_subset)


def reported(html):
    return between(html, "Conditions it is reported for", "</section>")


def test_one_sentence_reports_the_drug_for_the_condition_a_story_anywhere_does_not(world):
    same = story(
        "Ruxolitinib and hair",
        "People with alopecia areata regrew hair on ruxolitinib. Heart attack risk was not studied.",
        links=[(world.rux, {}), (world.areata, {}), (world.mi, {"text": "heart attack"})],
    )
    assert set(DrugConditionReport.objects.filter(article=same).values_list("drug", "condition", "origin")) == {
        (world.rux.pk, world.areata.pk, LinkOrigin.AUTO)
    }
    apart = story(
        "Two topics",
        "Ruxolitinib is a bone-marrow drug.\n\nSeparately, obesity rates rose.",
        links=[(world.rux, {}), (world.obesity, {})],
    )
    assert not DrugConditionReport.objects.filter(article=apart).exists()


def test_drug_page_lists_reported_conditions_with_their_story_counts(client, world):
    # The world: two stories (an original and its copy) name Jakafi and alopecia areata in one sentence.
    story(
        "Ruxolitinib and the heart",
        "Ruxolitinib was given to patients.\n\nIn other news, a heart attack study began.",
        links=[(world.rux, {}), (world.mi, {"text": "heart attack"})],
    )
    html = get(client, world.rux.get_absolute_url())[1]
    section = reported(html)
    assert '<a href="/conditions/alopecia-areata/">Alopecia Areata</a> <span class="count">2 stories</span>' in section
    assert "Myocardial Infarction" not in section  # named in the same story, not reported for it
    assert "one sentence of a story, or confirmed by an editor" in section

    # An editor confirms what the text does not say in one sentence: it counts.
    heart = story(
        "Ruxolitinib after a heart attack",
        "Ruxolitinib was tried.\n\nThe patients had had a heart attack.",
        links=[(world.rux, {}), (world.mi, {"text": "heart attack"})],
    )
    DrugConditionReport.objects.create(article=heart, drug=world.rux, condition=world.mi, origin=LinkOrigin.EDITOR)
    section = reported(get(client, world.rux.get_absolute_url())[1])
    assert 'Myocardial Infarction</a> <span class="count">1 story</span>' in section
    # The editor's row survives a text edit; the machine's are recomputed.
    heart.body = "Ruxolitinib was tried.\n\nNo condition is named here."
    heart.save()
    services.refresh_link_mentions(article=heart)
    assert DrugConditionReport.objects.filter(article=heart, origin=LinkOrigin.EDITOR).count() == 1


def test_rejected_links_and_unpublished_stories_do_not_count(client, world):
    story(
        "Rejected",
        "Ruxolitinib helped people with obesity.",
        links=[(world.rux, {}), (world.obesity, {"status": LinkStatus.REJECTED})],
    )
    story(
        "Draft",
        "Ruxolitinib helped people with obesity in a draft.",
        status=ArticleStatus.DRAFT,
        links=[(world.rux, {}), (world.obesity, {})],
    )
    assert reports.reported_for(world.rux) == [("Alopecia Areata", "alopecia-areata", 2)]
    assert "Obesity" not in reported(get(client, world.rux.get_absolute_url())[1])


def test_reported_for_is_one_query_and_the_drug_page_count_does_not_grow(client, world, django_assert_num_queries):
    with django_assert_num_queries(1):
        reports.reported_for(world.rux)

    def count():
        client.get(world.rux.get_absolute_url())
        with CaptureQueriesContext(connection) as context:
            client.get(world.rux.get_absolute_url())
        return len(context.captured_queries)

    few = count()
    for n in range(12):
        story(f"Story {n}", f"Ruxolitinib helped obesity in trial {n}.", links=[(world.rux, {}), (world.obesity, {})])
    assert count() == few
    assert ("Obesity", "obesity", 12) in reports.reported_for(world.rux)


def test_an_import_stores_what_each_story_reports(world):
    record = Record(
        where="our story",
        title="A drug for patchy hair loss",
        body="Doctors gave ruxolitinib to people with alopecia areata, and their hair grew back.\n\n"
        "A heart attack is a different matter, the doctors added.",
        url="https://news.example/rux-hair",
        source="Example News",
        published="2024-03-01",
    )
    report = import_records([record], publish=True)
    assert not report.failed
    rows = set(
        DrugConditionReport.objects.filter(article__source_url="https://news.example/rux-hair").values_list(
            "drug", "condition", "origin"
        )
    )
    # Alopecia areata shares a sentence with the drug; the heart attack, two sentences on, does not.
    assert rows == {(world.rux.pk, world.areata.pk, LinkOrigin.AUTO)}


def test_an_editor_confirms_a_report_in_the_admin(admin_client, world):
    response = admin_client.post(
        "/admin/articles/drugconditionreport/add/",
        {"article": world.heart_story.pk, "drug": world.rux.pk, "condition": world.mi.pk},
    )
    assert response.status_code == 302
    row = DrugConditionReport.objects.get(article=world.heart_story, drug=world.rux)
    assert row.origin == LinkOrigin.EDITOR
    assert admin_client.get("/admin/articles/drugconditionreport/").status_code == 200


def test_a_merge_keeps_what_the_stories_report(world):
    duplicate = DrugFactory(name="Ruxolitinib phosphate", aliases=["ruxo phosphate"])
    told = story(
        "Ruxo phosphate for obesity",
        "Doctors gave ruxo phosphate to people with obesity.",
        links=[(duplicate, {"text": "ruxo phosphate"}), (world.obesity, {})],
    )
    heart = story(
        "Ruxo phosphate and the heart",
        "Ruxo phosphate was tried.\n\nThe patients had had a heart attack.",
        links=[(duplicate, {"text": "ruxo phosphate"}), (world.mi, {"text": "heart attack"})],
    )
    DrugConditionReport.objects.create(article=heart, drug=duplicate, condition=world.mi, origin=LinkOrigin.EDITOR)
    services.merge_entities(survivor=world.rux, others=[duplicate])
    rows = set(DrugConditionReport.objects.filter(article__in=[told, heart]).values_list("article", "drug", "origin"))
    assert rows == {(told.pk, world.rux.pk, LinkOrigin.AUTO), (heart.pk, world.rux.pk, LinkOrigin.EDITOR)}
    assert ("Obesity", "obesity", 1) in reports.reported_for(world.rux)


def test_sync_reports_rebuilds_what_a_database_lacks(world):
    DrugConditionReport.objects.filter(origin=LinkOrigin.AUTO).delete()
    out = StringIO()
    call_command("sync_reports", stdout=out)
    assert ("Alopecia Areata", "alopecia-areata", 2) in reports.reported_for(world.rux)
    assert "machine reports stored" in out.getvalue()
