"""Backups (issue 13, item 12): ``export`` writes what editors made as JSON Lines and
``import_export`` restores it into an empty database exactly — exported again, the
restored database gives the same bytes — on SQLite and PostgreSQL. Bad files are refused
with the line and reason, and nothing is written."""

import datetime
import io
import json

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from articles import backup, indexing, services
from articles.ingest import dedupe
from articles.models import (
    Article,
    ArticleDrugClass,
    ArticleStatus,
    ArticleTrial,
    Drug,
    DrugAlias,
    DrugClass,
    DrugClassAlias,
    DrugClassMember,
    EntityRedirect,
    LinkOrigin,
    LinkStatus,
    Source,
)

from .admin_support import PASSWORD, make_user
from .factories import ArticleFactory, ConditionFactory, DrugFactory, InstitutionFactory, link

pytestmark = pytest.mark.django_db


@pytest.fixture
def dataset():
    """A little of everything an editor makes, with the values that are easy to lose."""
    editor = make_user("ed", "Editor")
    reviewer = make_user("rev", "Reviewer")
    make_user("root", superuser=True)
    editor.user_permissions.add(Permission.objects.get(codename="merge_drug"))

    alopecia = ConditionFactory(name="Alopecia Areata", tree_numbers=["C17.800.329"], aliases=["spot baldness"])
    ConditionFactory(name="Alopecia", tree_numbers=["C17.800"])
    rux = DrugFactory(name="Ruxolitinib", aliases=["Jakafi"], description="A JAK inhibitor.")
    DrugAlias.objects.filter(text="Jakafi").update(is_brand=True)
    nirmatrelvir, ritonavir = DrugFactory(name="Nirmatrelvir"), DrugFactory(name="Ritonavir")
    paxlovid = DrugFactory(name="Paxlovid")
    paxlovid.ingredients.set([ritonavir, nirmatrelvir])
    columbia = InstitutionFactory(name="Columbia University", country="US")
    broad = DrugClass.objects.create(name="Kinase inhibitors", slug="kinase-inhibitors")
    jaks = DrugClass.objects.create(name="JAK inhibitors", slug="jak-inhibitors", parent=broad)
    DrugClassMember.objects.create(drug_class=jaks, drug=rux)
    DrugClassAlias.objects.create(drug_class=jaks, text="JAK blockers")
    duplicate = DrugFactory(name="Ruxolitinib phosphate")
    services.merge_entities(survivor=rux, others=[duplicate], by=reviewer)
    assert EntityRedirect.objects.exists()

    story = ArticleFactory(
        title="Hair regrows — “a surprise” for 3 patients 🧑‍⚕️",
        body='Line one with a tab\tand a quote " and a backslash \\.\n\nSecond paragraph: ünïcode.',
        published=datetime.datetime(2019, 3, 12, 9, 30, 15, 123456, tzinfo=datetime.UTC),
        participants=3,
        study_type="case_series",
        doi="10.1038/nm.3645",
    )
    story.title = story.title + " (edited)"
    story._history_user = editor
    story.save()
    services.publish(article=story, by=reviewer)
    ArticleTrial.objects.create(article=story, registry_id="NCT01234567")
    link(
        story,
        alopecia,
        status=LinkStatus.CONFIRMED,
        origin=LinkOrigin.EDITOR,
        reviewed_by=editor,
        reviewed_at=timezone.now(),
        matched_text="alopecia areata",
        first_offset=4,
        mention_count=2,
        confidence=0.875,
    )
    link(story, rux, status=LinkStatus.REJECTED, reviewed_by=reviewer, reviewed_at=timezone.now())
    link(story, columbia)
    ArticleDrugClass.objects.create(article=story, drug_class=jaks, status=LinkStatus.SUGGESTED, confidence=0.5)
    copy = ArticleFactory(
        title="Hair regrows (syndicated)",
        canonical=story,
        syndication_similarity=0.93,
        source=Source.objects.create(name="Wire", slug="wire"),
    )
    dedupe.index_original(story, [(0, 12345678901), (1, -42)])
    ArticleFactory(status=ArticleStatus.DRAFT, published=None, source=None, source_url=None)
    return {"story": story, "copy": copy}


def _export(path):
    call_command("export", str(path), verbosity=0)
    return path.read_bytes()


def _empty_database():
    """Delete every row a backup restores (the groups stay, as a fresh migrate makes them)."""
    from modelsearch.models import IndexEntry

    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in reversed(backup.exported_models()):
            if model._meta.label_lower in backup.BY_NATURAL_KEY:
                continue
            for field in model._meta.many_to_many:
                if field.remote_field.through._meta.auto_created:
                    cursor.execute(f"DELETE FROM {quote(field.remote_field.through._meta.db_table)}")  # noqa: S608
            cursor.execute(f"DELETE FROM {quote(model._meta.db_table)}")  # noqa: S608
    IndexEntry.objects.all().delete()
    assert backup.database_contents() == {}


def _types(data):
    return {json.loads(line)["type"] for line in data.decode().splitlines()}


def test_export_then_restore_into_an_empty_database_gives_the_same_export(dataset, tmp_path):
    first = _export(tmp_path / "first.jsonl")
    types = _types(first)
    for kind in [
        "auth.user", "auth.group", "articles.source", "articles.condition", "articles.conditiontreenumber",
        "articles.conditionalias", "articles.drug", "articles.drugalias", "articles.institution",
        "articles.drugclass", "articles.drugclassmember", "articles.drugclassalias", "articles.entityredirect",
        "articles.article", "articles.articletrial", "articles.articlecondition", "articles.articledrug",
        "articles.articleinstitution", "articles.articledrugclass", "articles.syndicationband",
        "articles.historicalarticle", "articles.historicalarticlecondition", "articles.historicaldrug",
    ]:  # fmt: skip
        assert kind in types
    assert "2019-03-12T09:30:15.123456+00:00" in first.decode()  # microseconds kept
    _empty_database()

    call_command("import_export", str(tmp_path / "first.jsonl"), verbosity=0)
    second = _export(tmp_path / "second.jsonl")
    assert second == first

    story = Article.objects.get(pk=dataset["story"].pk)
    assert story.title.endswith("(edited)") and story.is_public
    assert Article.objects.get(pk=dataset["copy"].pk).canonical == story
    rux = story.drug_links.get().drug
    assert {"Jakafi", "Ruxolitinib phosphate"} <= {alias.text for alias in rux.aliases.all()}
    assert list(rux.classes.values_list("parent__name", flat=True)) == ["Kinase inhibitors"]
    paxlovid = Drug.objects.get(name="Paxlovid")
    assert {drug.name for drug in paxlovid.ingredients.all()} == {"Nirmatrelvir", "Ritonavir"}
    editor = User.objects.get(username="ed")
    assert editor.check_password(PASSWORD) and editor.groups.get().name == "Editor"
    assert editor.has_perm("articles.merge_drug") and not editor.has_perm("articles.publish_article")
    assert not indexing.unindexed_published().exists()  # the search index is rebuilt
    assert story.pk in [article.pk for article in Article.objects.search("regrows")]
    # New rows get new keys (the sequences were moved past the restored ones).
    assert ArticleFactory().pk > max(dataset["story"].pk, dataset["copy"].pk)


def test_restore_refuses_a_database_that_is_not_empty(dataset, tmp_path):
    path = tmp_path / "backup.jsonl"
    _export(path)
    before = Article.objects.count()
    refused = r"The database is not empty \(3 auth.user, 2 articles.source, .*empty database only"
    with pytest.raises(CommandError, match=refused):
        call_command("import_export", str(path), verbosity=0)
    assert Article.objects.count() == before


def _lines(tmp_path, dataset):
    data = _export(tmp_path / "good.jsonl").decode().splitlines()
    _empty_database()
    return data


def _first(lines, kind):
    return next(i for i, line in enumerate(lines) if json.loads(line)["type"] == kind)


def _restore(tmp_path, lines):
    path = tmp_path / "bad.jsonl"
    path.write_text("".join(line + "\n" for line in lines))
    with pytest.raises(CommandError) as caught:
        call_command("import_export", str(path), verbosity=0)
    assert backup.database_contents() == {}  # nothing half-restored
    return str(caught.value)


def test_a_line_that_is_not_json_is_named(tmp_path, dataset):
    lines = _lines(tmp_path, dataset)
    at = _first(lines, "articles.article")
    lines[at] = lines[at][:-5]
    assert f"line {at + 1}: not a JSON object" in _restore(tmp_path, lines)


def test_an_unknown_type_is_named(tmp_path, dataset):
    lines = _lines(tmp_path, dataset)
    at = _first(lines, "articles.source")
    lines[at] = json.dumps({"type": "articles.gadget", "pk": 1, "fields": {}})
    assert f"line {at + 1}: unknown type 'articles.gadget'" in _restore(tmp_path, lines)


def test_a_value_its_field_refuses_is_named(tmp_path, dataset):
    lines = _lines(tmp_path, dataset)
    at = _first(lines, "articles.article")
    obj = json.loads(lines[at])
    obj["fields"]["published"] = "the twelfth of March"
    lines[at] = json.dumps(obj)
    message = _restore(tmp_path, lines)
    assert f"line {at + 1}: articles.article {obj['pk']}" in message and "the twelfth of March" in message


def test_a_duplicate_key_is_named(tmp_path, dataset):
    lines = _lines(tmp_path, dataset)
    at = _first(lines, "articles.source")
    lines.insert(at + 1, lines[at])
    lines[-1] = json.dumps({"type": backup.TRAILER, "objects": json.loads(lines[-1])["objects"] + 1})
    assert f"line {at + 2}: articles.source" in _restore(tmp_path, lines)


def test_a_reference_to_a_missing_row_is_refused(tmp_path, dataset):
    lines = _lines(tmp_path, dataset)
    at = _first(lines, "articles.article")
    obj = json.loads(lines[at])
    obj["fields"]["source"] = 987654
    lines[at] = json.dumps(obj)
    assert "refers to one the file does not hold" in _restore(tmp_path, lines)


def test_a_cut_off_file_and_a_foreign_file_are_refused(tmp_path, dataset):
    lines = _lines(tmp_path, dataset)
    assert "without its last line" in _restore(tmp_path, lines[:-3])
    assert "line 1: not a NewsBase export" in _restore(tmp_path, lines[1:])
    assert "The file is empty" in _restore(tmp_path, [])
    lines[-1] = json.dumps({"type": backup.TRAILER, "objects": 3})
    assert f"line {len(lines)}: the export says it holds 3 objects" in _restore(tmp_path, lines)


def test_rows_are_written_as_they_are_json_and_bytes_included():
    from articles import bulk
    from articles.models import FacetSnapshot, ImportJob, ImportJobFile

    built = datetime.datetime(2020, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.UTC)
    snapshot = FacetSnapshot(pk=41, kind="drug", entity_id=7, total=3, facets={"a": [1, "ü"]}, built_at=built)
    job = ImportJob(pk=42, created_at=built, updated_at=built)
    blob = ImportJobFile(pk=43, job=job, name="x.jsonl", data=b"\x00\xff\\x{}\n\t")
    for model, obj in [(FacetSnapshot, snapshot), (ImportJob, job), (ImportJobFile, blob)]:
        bulk.insert_as_is(model, [obj])
    assert FacetSnapshot.objects.get(pk=41).facets == {"a": [1, "ü"]}
    assert ImportJob.objects.get(pk=42).updated_at == built  # not "now": auto_now is not applied
    assert bytes(ImportJobFile.objects.get(pk=43).data) == b"\x00\xff\\x{}\n\t"


def test_export_to_standard_output_is_the_same_file(dataset, tmp_path):
    out = io.StringIO()
    call_command("export", stdout=out)
    assert out.getvalue().encode() == _export(tmp_path / "file.jsonl")


def test_unreadable_and_unwritable_paths_are_command_errors(tmp_path):
    with pytest.raises(CommandError, match="Could not write"):
        call_command("export", str(tmp_path / "no-such-dir" / "backup.jsonl"), verbosity=0)
    with pytest.raises(CommandError, match="Could not read"):
        call_command("import_export", str(tmp_path / "missing.jsonl"), verbosity=0)


def test_an_error_in_a_file_from_another_schema_says_so(tmp_path, dataset):
    lines = _lines(tmp_path, dataset)
    header = json.loads(lines[0]) | {"schema": "0099_from_the_future"}
    lines[0] = json.dumps(header)
    at = _first(lines, "articles.source")
    obj = json.loads(lines[at])
    obj["fields"]["motto"] = "new field"
    lines[at] = json.dumps(obj)
    message = _restore(tmp_path, lines)
    assert f"line {at + 1}: articles.source" in message and "motto" in message
    assert "exported at migration 0099_from_the_future; this database is at 00" in message


def test_an_overlong_line_is_refused_without_reading_it_whole(tmp_path, monkeypatch):
    path = tmp_path / "long.jsonl"
    path.write_bytes(b'{"type": "newsbase.export", "format": 1}\n' + b"x" * 5000 + b"\n")
    monkeypatch.setattr(backup, "MAX_LINE_BYTES", 1000)
    with pytest.raises(CommandError, match="line 2: longer than 1,000 bytes"):
        call_command("import_export", str(path), verbosity=0)
