"""Imports that nothing can half-do: the search index commits with its articles, one bad
record is that record's failure (NUL, lone surrogates, deep JSON, huge bodies), files are
read as streams, and crowded MinHash band values stop being candidate sources (issue 13)."""

import io
import json
import random

import pytest
from django.core.management import call_command
from django.db import DatabaseError
from django.test import override_settings

from articles import indexing
from articles.ingest import dedupe, extract
from articles.ingest.extract import read_path, read_upload
from articles.ingest.matcher import clear_matcher_cache
from articles.ingest.pipeline import import_records
from articles.models import Article, SyndicationBand

from .feedkit import FILLER_WORDS

pytestmark = pytest.mark.django_db

WORDS = (
    "Doctors in the town hospital said the new treatment for alopecia areata helped most patients "
    "in a small trial that lasted five months and was reported this week by the team"
)


def story(n):
    """A story about alopecia areata whose wording is its own (no two share many 5-word runs)."""
    words = random.Random(n).choices(FILLER_WORDS, k=40)
    return f"{WORDS}. " + " ".join(words) + f" case {n}."


def records_file(tmp_path, rows, name="in.jsonl"):
    path = tmp_path / name
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write((row if isinstance(row, str) else json.dumps(row)) + "\n")
    return path


def good(n, **extra):
    # Dated: an undated story imported with --publish stays a draft.
    record = {"title": f"Story {n}", "body": story(n), "url": f"https://news.example/{n}", "published": "2024-03-01"}
    return {**record, **extra}


@pytest.fixture(autouse=True)
def vocabulary(load_vocabulary_subset):
    clear_matcher_cache()
    dedupe.forget_crowded()
    load_vocabulary_subset(conditions=["Alopecia", "Alopecia Areata"])
    yield
    clear_matcher_cache()
    dedupe.forget_crowded()


# ------------------------------------------------------------------ 1. index with its articles


def test_a_failing_index_write_rolls_back_its_articles(tmp_path, monkeypatch):
    """The process dies (an exception) while the index is written: no article is left unindexed."""
    path = records_file(tmp_path, [good(n) for n in range(5)])

    def die(ids):
        raise RuntimeError("killed while indexing")

    monkeypatch.setattr(indexing, "index_articles", die)
    with pytest.raises(RuntimeError):
        import_records(read_path(path), publish=True)
    assert Article.objects.count() == 0
    monkeypatch.undo()
    report = import_records(read_path(path), publish=True)
    assert report.counts["imported"] == 5
    assert indexing.unindexed_published().count() == 0
    assert Article.objects.search("alopecia").count() == 5


def test_a_database_error_in_the_index_write_fails_the_records_not_half_writes_them(tmp_path, monkeypatch):
    path = records_file(tmp_path, [good(n) for n in range(3)])

    def fail(ids):
        raise DatabaseError("disk full")

    monkeypatch.setattr(indexing, "index_articles", fail)
    report = import_records(read_path(path), publish=True)
    assert report.counts["failed"] == 3 and "disk full" in report.failed[0].message
    assert Article.objects.count() == 0


def test_reimport_and_reindex_missing_repair_articles_left_out_of_search(tmp_path, client, admin_user):
    path = records_file(tmp_path, [good(n) for n in range(4)])
    import_records(read_path(path), publish=True)
    lost = list(Article.objects.order_by("pk")[:2])
    indexing.remove_from_index(lost)  # what a crash between two transactions left behind
    assert set(indexing.unindexed_published()) == set(lost)

    client.force_login(admin_user)
    assert "2 published articles are not in search" in client.get("/admin/").content.decode()
    deep = client.get("/healthz?deep=1").json()
    assert deep["unindexed_published"] == 2

    out = io.StringIO()
    call_command("reindex", "--missing", "--dry-run", stdout=out)
    assert "2 published articles missing from the search index" in out.getvalue()
    assert indexing.unindexed_published().count() == 2

    report = import_records(read_path(path), publish=True)  # the re-import reports duplicates and repairs
    assert report.counts["duplicates"] == 4
    assert indexing.unindexed_published().count() == 0

    indexing.remove_from_index(lost[:1])
    out = io.StringIO()
    call_command("reindex", "--missing", stdout=out)
    assert "1 published article missing from the search index; indexed" in out.getvalue()
    assert indexing.unindexed_published().count() == 0
    assert client.get("/healthz?deep=1").json()["unindexed_published"] == 0


# ------------------------------------------------------------------ 2. one bad record


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("body", story(90).replace("town", "to\u0000wn"), "NUL character"),
        ("title", "Bad \u0000 title", "NUL character"),
        ("author", "A \ud800 writer", "lone surrogate"),
        ("url", "https://news.example/\u0000x", "NUL character"),
        ("summary", "\udfff", "lone surrogate"),
    ],
)
def test_nul_and_lone_surrogates_fail_their_record_only(tmp_path, field, value, reason):
    bad = good(99)
    bad[field] = value
    path = records_file(tmp_path, [good(1), bad, good(2)])
    report = import_records(read_path(path), publish=True)
    assert report.counts["imported"] == 2
    [failed] = report.failed
    assert failed.where == f"{path} line 2"
    assert field in failed.message and reason in failed.message
    assert Article.objects.count() == 2


def test_nul_in_a_text_file_fails_that_file(tmp_path):
    (tmp_path / "a.txt").write_text("A title\n" + story(1).replace("town", "to\x00wn"), encoding="utf-8")
    (tmp_path / "b.txt").write_text("Another title\n" + story(2), encoding="utf-8")
    report = import_records(read_path(tmp_path))
    assert [item.where for item in report.failed] == [str(tmp_path / "a.txt")]
    assert "NUL" in report.failed[0].message and report.counts["imported"] == 1


def test_deeply_nested_json_line_is_its_own_failure(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    path = records_file(tmp_path, [good(1), deep, good(2)])
    report = import_records(read_path(path))
    assert report.counts["imported"] == 2
    [failed] = report.failed
    assert failed.where == f"{path} line 2" and "nested too deeply" in failed.message
    whole = tmp_path / "deep.json"
    whole.write_text(deep)
    [error] = list(read_path(whole))
    assert "nested too deeply" in error.reason


def test_bad_records_through_the_command_give_messages_not_a_traceback(tmp_path):
    path = records_file(tmp_path, [good(1), good(2, title="x\u0000y")])
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(Exception) as caught:
        call_command("import_articles", str(path), stdout=out, stderr=err)
    assert getattr(caught.value, "returncode", None) == 1
    assert f"{path} line 2" in err.getvalue() and "NUL" in err.getvalue()
    assert Article.objects.count() == 1


# ------------------------------------------------------------------ 3. size limits and streams


@override_settings(IMPORT_MAX_BODY_BYTES=2000)
def test_a_body_over_the_limit_is_refused_with_its_size(tmp_path):
    big = good(5, body=story(5) + " more words" * 400)
    path = records_file(tmp_path, [good(1), big])
    report = import_records(read_path(path))
    [failed] = report.failed
    assert "IMPORT_MAX_BODY_BYTES" in failed.message and "2,000 bytes" in failed.message
    assert report.counts["imported"] == 1


@override_settings(IMPORT_MAX_BODY_BYTES=2000)
def test_a_huge_text_file_is_refused_before_it_is_read(tmp_path, monkeypatch):
    huge = tmp_path / "huge.txt"
    huge.write_text("Title\n" + "word " * 10_000)
    monkeypatch.setattr(type(huge), "read_bytes", lambda self: pytest.fail("read whole"))
    [error] = list(read_path(huge))
    assert error.where == str(huge) and "IMPORT_MAX_BODY_BYTES" in error.reason


@override_settings(IMPORT_MAX_BODY_BYTES=2000)
def test_a_huge_jsonl_line_is_refused_and_the_next_lines_read(tmp_path):
    path = records_file(tmp_path, [good(1, body="x " * 50_000), good(2)])
    items = list(read_path(path))
    assert isinstance(items[0], extract.ReadError) and "line 1" in items[0].where
    assert "longer than" in items[0].reason
    assert isinstance(items[1], extract.Record) and items[1].title == "Story 2"


def test_jsonl_is_read_line_by_line(tmp_path):
    path = records_file(tmp_path, [good(n) for n in range(3)])
    reader = read_path(path)
    first = next(reader)
    assert first.where == f"{path} line 1"
    with path.open("a") as handle:  # a whole-file read would not see a line added now
        handle.write(json.dumps(good(7)) + "\n")
    assert [r.title for r in reader] == ["Story 1", "Story 2", "Story 7"]


def test_uploads_stream_too():
    data = b"\n".join(json.dumps(good(n)).encode() for n in range(3))
    records = list(read_upload("up.jsonl", io.BytesIO(data)))
    assert [r.where for r in records] == ["up.jsonl line 1", "up.jsonl line 2", "up.jsonl line 3"]
    assert [r.where for r in read_upload("up.jsonl", data)] == [r.where for r in records]


def test_the_report_keeps_counts_but_not_every_item(tmp_path, monkeypatch):
    from articles.ingest import pipeline

    monkeypatch.setattr(pipeline, "ITEMS_KEPT", 3)
    path = records_file(tmp_path, [good(n) for n in range(8)] + ['{"title": 1}'])
    report = import_records(read_path(path))
    assert report.counts["imported"] == 8 and report.counts["failed"] == 1
    assert len(report.of("created")) == 3 and report.omitted["created"] == 5
    assert report.failed[0].where.endswith("line 9")


# ------------------------------------------------------------------ 4. crowded band values


def test_a_band_value_owned_by_too_many_articles_stops_being_a_candidate(monkeypatch):
    monkeypatch.setattr(dedupe, "MAX_BAND_OWNERS", 5)
    report = import_records(
        iter([extract.Record(where=f"r{n}", title=f"Story {n}", body=story(n)) for n in range(7)]), publish=True
    )
    assert report.counts["imported"] == 7
    first = Article.objects.order_by("pk").first()
    band, value = SyndicationBand.objects.filter(article=first).values_list("band", "value").first()
    # six originals now open the same way as the first: seven owners, over the cap of five
    SyndicationBand.objects.filter(band=band).update(value=value)
    owners = dedupe.band_owners([[(band, value)]])
    assert (band, value) not in owners
    assert dedupe.is_crowded(band, value)
    # remembered: the next lookup does not ask for it again, and no new row is stored for it
    assert dedupe.band_owners([[(band, value)]]) == {}
    before = SyndicationBand.objects.filter(band=band, value=value).count()
    SyndicationBand.objects.filter(article=first, band=band).delete()
    dedupe.store_bands([(first.pk, band, value)])
    assert SyndicationBand.objects.filter(band=band, value=value).count() == before - 1
    # a copy is still found through its other bands
    shingle_set = dedupe.shingles(first.body)
    original, score = dedupe.find_original(shingle_set, dedupe.band_values(shingle_set))
    assert original == first and score == 1.0
