"""import_articles and the pipeline: bad input named, good records kept, re-runs change nothing."""

import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from articles.ingest import dedupe, evidence, pipeline
from articles.ingest.extract import read_pasted, read_upload
from articles.ingest.matcher import clear_matcher_cache
from articles.ingest.pipeline import import_records
from articles.models import (
    Article,
    ArticleDrug,
    ArticleStatus,
    ArticleTrial,
    LinkOrigin,
    LinkStatus,
    StudyType,
)

pytestmark = pytest.mark.django_db

STORY = (
    "Ruxolitinib, sold as Jakafi, regrew hair in people with alopecia areata, doctors said.\n"
    "The drug was given twice a day for five months to 12 patients in a small trial.\n"
    "The results were published in Nature Medicine. The trial is registered as NCT01950780.\n"
    "Researchers now plan a larger randomised trial across several countries next year."
)
OTHER = (
    "Semaglutide lowered weight in adults with obesity over more than a year of weekly injections.\n"
    "The company said supplies would improve, and doctors welcomed the long-term data on heart health.\n"
    "Patients stopping the drug regained some of the weight within a year, the report noted."
)


@pytest.fixture(autouse=True)
def vocabulary(load_vocabulary_subset):
    clear_matcher_cache()
    load_vocabulary_subset(
        drugs=["Ruxolitinib", "Semaglutide"],
        conditions=["Alopecia", "Alopecia Areata", "Obesity"],
        institutions=["Nature Medicine"],
    )
    yield
    clear_matcher_cache()


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_articles", *map(str, args), stdout=out, stderr=err)
        code = 0
    except CommandError as exc:
        code, err = exc.returncode, io.StringIO(err.getvalue() + str(exc))
    return code, out.getvalue(), err.getvalue()


def write_jsonl(path, records):
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n")
    return path


def test_bad_records_are_named_and_good_ones_imported(tmp_path):
    write_jsonl(
        tmp_path / "batch.jsonl",
        [
            {
                "title": "Hair regrows on a bone marrow drug",
                "body": STORY,
                "url": "https://a.example/1",
                "source": "Outlet A",
                "published": "2024-05-01T09:00:00Z",
            },
            "{not json",
            {"title": "", "body": "Some text here."},
            {"title": "No body", "body": "   "},
            {"title": "Bad date", "body": "Text of a story.", "published": "31/31/2024"},
            {"title": "Weekly jab and weight", "body": OTHER, "url": "https://a.example/2"},
        ],
    )
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 story\nBody text.".encode("latin-1"))
    (tmp_path / "notes.md").write_text("ignored")
    code, out, err = run(tmp_path)
    assert code == 1
    assert "batch.jsonl line 2: malformed JSON" in err
    assert "batch.jsonl line 3: missing title" in err
    assert "batch.jsonl line 4: empty body" in err
    assert "batch.jsonl line 5: bad date '31/31/2024'" in err
    assert "latin1.txt: not UTF-8 text" in err
    assert "2 imported, 0 updated, 0 duplicates, 0 syndicated copies, 5 failed, 1 files skipped" in out
    assert Article.objects.count() == 2
    article = Article.objects.get(source_url="https://a.example/1")
    assert article.source.name == "Outlet A" and article.status == ArticleStatus.DRAFT
    assert {link.drug.name for link in article.drug_links.all()} == {"Ruxolitinib"}


def test_running_the_same_import_again_changes_nothing(tmp_path):
    record = {"title": "Hair regrows", "body": STORY, "url": "https://a.example/1", "published": "2021-04-05"}
    path = write_jsonl(tmp_path / "a.jsonl", [record])
    assert run(path, "--publish")[0] == 0
    snapshot = list(Article.objects.values()), list(ArticleDrug.objects.values())
    code, out, _ = run(path, "--publish")
    assert code == 0
    assert "0 imported, 0 updated, 1 duplicates" in out and "nothing changed" in out
    assert (list(Article.objects.values()), list(ArticleDrug.objects.values())) == snapshot
    assert ArticleDrug.objects.get().published is not None  # publishing copied the date to the links


def test_reimport_keeps_editor_decisions(tmp_path):
    record = {"title": "Hair regrows", "body": STORY, "url": "https://a.example/1"}
    path = write_jsonl(tmp_path / "a.jsonl", [record])
    run(path)
    article = Article.objects.get()
    rejected = article.condition_links.get(condition__name="Alopecia Areata")
    rejected.status = LinkStatus.REJECTED
    rejected.save()
    confirmed = article.drug_links.get()
    confirmed.status, confirmed.confidence = LinkStatus.CONFIRMED, 1.0
    confirmed.save()
    write_jsonl(path, [{**record, "body": STORY + "\nAlopecia areata affects the immune system; Jakafi helped."}])
    code, out, _ = run(path)
    assert code == 0 and "1 updated" in out
    rejected.refresh_from_db()
    confirmed.refresh_from_db()
    assert rejected.status == LinkStatus.REJECTED
    assert confirmed.status == LinkStatus.CONFIRMED and confirmed.confidence == 1.0


def test_dry_run_saves_nothing(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", [{"title": "Hair regrows", "body": STORY}])
    code, out, _ = run(path, "--dry-run")
    assert code == 0 and "1 imported" in out and "dry run" in out
    assert not Article.objects.exists()


def test_same_text_from_the_same_outlet_under_another_url_is_a_duplicate(tmp_path):
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [
            {"title": "Hair regrows", "body": STORY, "url": "https://a.example/1", "source": "Outlet A"},
            {"title": "Hair regrows!", "body": STORY.upper(), "url": "https://a.example/9", "source": "Outlet A"},
        ],
    )
    code, out, _ = run(path)
    assert code == 0
    assert "1 imported, 0 updated, 1 duplicates" in out
    assert Article.objects.count() == 1


def test_syndicated_copy_is_marked_and_same_topic_story_is_not():
    copy = (
        "By Wire Staff\n"
        + STORY.replace("doctors said", "doctors in New York said")
        + "\nThe drug is already used for bone marrow disorders."
    )
    rewrite = (
        "A pill first made for blood cancers has helped people whose hair fell out in patches.\n"
        "In a small study, Jakafi taken for five months led to strong regrowth in alopecia areata.\n"
        "Larger trials are planned, according to the team, whose paper appears in Nature Medicine."
    )
    records = [
        {"title": "Hair regrows", "body": STORY, "url": "https://a.example/1", "source": "Outlet A"},
        {"title": "Bone marrow drug regrows hair", "body": copy, "url": "https://b.example/1", "source": "Wire B"},
        {"title": "Blood cancer pill and hair", "body": rewrite, "url": "https://c.example/1", "source": "C"},
    ]
    report = import_records(read_records(records))
    assert report.counts["syndicated copies"] == 1, report.items
    original = Article.objects.get(source_url="https://a.example/1")
    syndicated = Article.objects.get(source_url="https://b.example/1")
    assert syndicated.canonical == original and syndicated.syndication_similarity >= dedupe.COPY_JACCARD
    assert Article.objects.get(source_url="https://c.example/1").canonical is None


def read_records(records):
    from articles.ingest.extract import record_from_mapping

    return [record_from_mapping(r, f"record {n}") for n, r in enumerate(records, start=1)]


def test_similarity_threshold_separates_copies_from_same_topic():
    base = dedupe.shingles(STORY + " " + OTHER)
    edited = dedupe.shingles((STORY + " " + OTHER).replace("doctors said", "doctors told reporters"))
    trimmed = dedupe.shingles(STORY)
    assert dedupe.similarity(base, edited)[0]
    assert dedupe.similarity(base, trimmed)[0]  # a shortened copy is still a copy
    assert not dedupe.similarity(dedupe.shingles(STORY), dedupe.shingles(OTHER))[0]


def test_html_page_is_extracted_and_sanitised():
    html = (
        """<html><head><title>Hair regrows | Outlet</title>
    <meta property="og:title" content="Bone marrow drug regrows hair">
    <meta name="author" content="Jane Doe"><link rel="canonical" href="https://outlet.example/hair">
    <meta property="article:published_time" content="2024-03-02T10:00:00Z"></head>
    <body><nav>Home | World | Health</nav><article><h1>Bone marrow drug regrows hair</h1>
    """
        + "".join(f"<p>{line}</p>" for line in STORY.split("\n"))
        + """
    <p><script>alert(1)</script></p></article><footer>Share on Facebook</footer></body></html>"""
    )
    report = import_records(read_upload("page.html", html.encode()))
    assert report.counts["imported"] == 1, report.items
    article = Article.objects.get()
    assert article.title == "Bone marrow drug regrows hair"
    assert article.source_url == "https://outlet.example/hair"
    assert article.author == "Jane Doe"
    assert article.published.year == 2024
    assert "<" not in article.body and "alert" not in article.body and "Home | World" not in article.body
    assert "Ruxolitinib" in {link.drug.name for link in article.drug_links.all()}


def test_pasted_text_gives_the_same_result_as_a_file(tmp_path):
    text = "Hair regrows on a bone marrow drug\n" + STORY
    pasted = import_records(read_pasted(text), dry_run=True)
    uploaded = import_records(read_upload("story.txt", text.encode()), dry_run=True)
    assert [i.status for i in pasted.items] == [i.status for i in uploaded.items] == ["created"]
    assert pasted.links == uploaded.links > 0


def test_evidence_facts_and_trial_ids_are_stored():
    import_records(read_records([{"title": "Hair regrows", "body": STORY}]))
    article = Article.objects.get()
    assert article.journal == "Nature Medicine"
    assert article.participants == 12
    assert list(ArticleTrial.objects.values_list("registry_id", flat=True)) == ["NCT01950780"]


@pytest.mark.parametrize(
    ("text", "facts"),
    [
        ("The trial enrolled 1,736 participants with early disease.", {"participants": 1736}),
        ("Doctors treated three patients with the drug.", {"participants": 3, "study_type": StudyType.CASE_SERIES}),
        ("In a randomised, placebo-controlled trial of 800 adults, the drug worked.", {"study_type": StudyType.RCT}),
        ("The phase 3 trial tested the vaccine in 4,000 volunteers.", {"trial_phase": 3, "participants": 4000}),
        ("The findings, in mice, suggest a new approach.", {"study_type": StudyType.ANIMAL}),
        ("Alopecia affects around 2 in every 1,000 people in the UK.", {"participants": None}),
        ("It was published in the journal Cell Reports Medicine on Monday.", {"journal": "Cell Reports Medicine"}),
        ("See doi:10.1038/nm.3645 for details.", {"doi": "10.1038/nm.3645"}),
    ],
)
def test_evidence_patterns(text, facts):
    found = evidence.extract(text)
    for name, value in facts.items():
        assert getattr(found, name) == value, (name, found)


def test_a_record_that_fails_while_saving_leaves_nothing(monkeypatch):
    """The batch's transaction fails after its articles were inserted; each is then written
    alone: the broken one fails with its reason and leaves no row, its neighbours import."""
    from articles.ingest import pipeline

    real = pipeline.Linker.new_links

    def broken(self, article, found):
        rows = real(self, article, found)
        if article.title == "Broken":
            raise ValueError("disk full")
        return rows

    monkeypatch.setattr(pipeline.Linker, "new_links", broken)
    report = import_records(
        read_records(
            [
                {"title": "Before", "body": OTHER, "published": "2021-04-05"},
                {"title": "Broken", "body": STORY, "published": "2021-04-05"},
                {"title": "After", "body": OTHER.replace("Semaglutide", "Wegovy"), "published": "2021-04-05"},
                {
                    "title": "After again",
                    "body": OTHER.replace("Semaglutide", "Wegovy"),
                    "url": "https://b.example/",
                    "published": "2021-04-05",
                },
            ]
        ),
        publish=True,
    )
    # "After" is a lightly edited "Before" (a copy of it); "After again" the same text elsewhere.
    assert [i.status for i in report.items] == ["created", "failed", "syndicated", "syndicated"]
    assert "disk full" in report.items[1].message and report.items[1].where == "record 2"
    assert sorted(Article.objects.values_list("title", flat=True)) == ["After", "After again", "Before"]
    before = Article.objects.get(title="Before")
    assert set(before.copies.values_list("title", flat=True)) == {"After", "After again"}
    assert not ArticleDrug.objects.filter(article__title="Broken").exists()
    assert not Article.history.filter(title="Broken").exists()
    assert ArticleDrug.objects.filter(origin=LinkOrigin.AUTO).count() == 3
    assert all(link.published is not None for link in ArticleDrug.objects.all())


def test_new_articles_are_indexed_for_search():
    report = import_records(read_records([{"title": "Hair regrows", "body": STORY}]), publish=True)
    assert report.counts["imported"] == 1
    assert [article.title for article in Article.objects.search("ruxolitinib")] == ["Hair regrows"]


def test_search_title_norms_are_set_once_per_import_not_per_batch(monkeypatch):
    from modelsearch.backends import get_search_backends
    from modelsearch.models import IndexEntry

    from articles.ingest import pipeline

    index_class = type(next(iter(get_search_backends())).get_index_for_model(Article))
    calls = []
    refresh = index_class._refresh_title_norms
    monkeypatch.setattr(
        index_class, "_refresh_title_norms", lambda self, full=False: calls.append(full) or refresh(self)
    )
    monkeypatch.setattr(pipeline, "BATCH_SIZE", 2)
    titles = ["Hair", "Hair regrows on a bone marrow drug", "Bone marrow drug helps hair", "Regrowth", "Pills"]
    records = [{"title": t, "body": f"{t}. {STORY} {n}", "url": f"https://a.example/{n}"} for n, t in enumerate(titles)]
    report = import_records(read_records(records), publish=True)
    assert report.counts["imported"] == 5
    assert len(calls) == 1  # three batches, one refresh at the end
    title_of = {str(pk): title for pk, title in Article.objects.values_list("pk", "title")}
    entries = IndexEntry.objects.filter(object_id__in=title_of).values_list("object_id", "title_norm")
    norms = {title_of[object_id]: norm for object_id, norm in entries}
    assert len(norms) == 5 and 1.0 not in norms.values()  # every new entry got its norm
    assert norms["Hair"] > norms["Bone marrow drug helps hair"]  # short titles weigh more


def test_bench_ingest_prints_throughput_and_cleans_up():
    out = io.StringIO()
    call_command("bench", "--ingest", "--articles", "6", "--repeat", "2", stdout=out)
    text = out.getvalue()
    assert re.search(r"Matcher: [\d,]+ names, built in [\d.]+s, \+[\d,]+ MB", text), text
    runs = re.findall(r"Run \d: ([\d,]+) articles/s \([\d.]+s; 6 imported, 0 failed", text)
    assert len(runs) == 2 and all(int(rate.replace(",", "")) > 0 for rate in runs), text
    assert "best" in text and not Article.objects.filter(source_url__startswith="https://bench.example/").exists()


def _planner_rows(table):
    """The row count the database's planner statistics hold for `table` (None: none yet)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cursor.fetchone() is None:
                return None
            cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = %s", [table])
        row = cursor.fetchone()
    return None if row is None else int(float(str(row[0]).split()[0]))


def test_a_large_import_refreshes_the_planner_statistics(tmp_path, monkeypatch):
    """After a large import the planner knows the articles are there (not an empty table to
    loop over); a small one leaves it to autovacuum."""
    stories = [STORY, OTHER, STORY.replace("Researchers", "Doctors")]
    records = [
        {"title": f"Story {n}", "body": body, "url": f"https://a.example/{n}", "source": f"Outlet {n}"}
        for n, body in enumerate(stories)
    ]
    monkeypatch.setattr(pipeline, "ANALYZE_AFTER", 4)
    assert run(write_jsonl(tmp_path / "two.jsonl", records[:2]))[0] == 0
    assert _planner_rows("articles_article") != Article.objects.count() == 2
    monkeypatch.setattr(pipeline, "ANALYZE_AFTER", 1)
    assert run(write_jsonl(tmp_path / "one.jsonl", records[2:]))[0] == 0
    assert _planner_rows("articles_article") == Article.objects.count() == 3
