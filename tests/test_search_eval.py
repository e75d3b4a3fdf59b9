"""The search evaluation (articles/search_eval.py, evaluate_search) on inputs written here: the
query file checks, the measures on hand-made rankings, and a run end to end on a tiny corpus of
our own stories through the real search service. Runs on SQLite and on PostgreSQL. The run over
the FakeHealth stories is in tests/test_search_eval_fakehealth.py.
"""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from articles import search_eval
from articles.models import Article
from articles.search_eval import Query, score

pytestmark = pytest.mark.django_db

# Our own short stories (never a corpus text); each is long enough for the import to keep it.
STORIES = [
    {
        "url": "https://example.org/aspirin-bowel",
        "title": "Daily aspirin and bowel tumours: a long follow-up",
        "body": "Researchers followed thousands of adults who took a low dose of aspirin every day for a decade. "
        "Those taking aspirin had fewer bowel tumours than those who did not, the team reported, "
        "though bleeding in the stomach was more common among the aspirin group.",
        "source": "Test Desk",
        "published": "2016-03-01",
    },
    {
        "url": "https://example.org/rux-hair",
        "title": "A cream for patchy hair loss shows early promise",
        "body": "A small trial tested a ruxolitinib cream in people with alopecia areata, the condition in which "
        "the immune system attacks hair follicles. After six months most of the volunteers had regrown "
        "some hair, and doctors said larger trials of ruxolitinib are planned next year.",
        "source": "Test Desk",
        "published": "2017-05-02",
    },
    {
        "url": "https://example.org/garden",
        "title": "Community gardens bring neighbours together",
        "body": "Volunteers in three towns turned empty lots into vegetable gardens this spring. Organisers said "
        "the plots drew people of every age and that waiting lists for a bed had grown each month since "
        "the first seeds went into the ground.",
        "source": "Test Desk",
        "published": "2018-06-03",
    },
]

QUERIES = """
[[query]]
kind = "generic"
q = "aspirin"
central = ["https://example.org/aspirin-bowel"]

[[query]]
kind = "generic"
q = "ruxolitinib"
central = ["https://example.org/rux-hair"]
relevant = ["https://example.org/not-imported"]

[[query]]
kind = "lay"
q = "zzqx"
relevant = ["https://example.org/garden"]
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path):
    return write(tmp_path, "healthstory.jsonl", "\n".join(json.dumps(s) for s in STORIES) + "\n")


@pytest.fixture
def queries(tmp_path):
    return write(tmp_path, "queries.toml", QUERIES)


@pytest.fixture
def vocabulary(load_vocabulary_subset):
    load_vocabulary_subset(drugs=["aspirin", "ruxolitinib"], conditions=["Alopecia Areata"])


# --------------------------------------------------------------------------- the query file


def test_the_query_file_reads_kinds_queries_and_grades(queries):
    loaded = search_eval.load_queries(queries)
    assert [(q.kind, q.q) for q in loaded] == [("generic", "aspirin"), ("generic", "ruxolitinib"), ("lay", "zzqx")]
    assert loaded[1].grades == {"https://example.org/rux-hair": 2, "https://example.org/not-imported": 1}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no \\[\\[query\\]\\] entries"),
        ("[[query]\n", "not valid TOML"),
        ('[[query]]\nkind = "generic"\nq = " "\ncentral = ["u"]\n', "query 1: `q` must be a non-empty string"),
        ('[[query]]\nkind = "drug"\nq = "x"\ncentral = ["u"]\n', "query 1 \\('x'\\): kind 'drug' is not one of"),
        ('[[query]]\nkind = "brand"\nq = "x"\n', "no judged story"),
        ('[[query]]\nkind = "brand"\nq = "x"\ncentral = ["u"]\nrelevant = ["u"]\n', "u is judged twice"),
        ('[[query]]\nkind = "brand"\nq = "x"\ncentral = "u"\n', "`central` must be a list of story URLs"),
        ('[[query]]\nkind = "brand"\nq = "x"\ncentral = ["u"]\nnote = 1\n', "unknown keys note"),
        (
            '[[query]]\nkind = "brand"\nq = "x"\ncentral = ["u"]\n'
            '[[query]]\nkind = "brand"\nq = "x"\ncentral = ["v"]\n',
            "query 2 \\('x'\\): the same query twice",
        ),
    ],
)
def test_a_bad_query_file_is_named_with_what_is_wrong(tmp_path, text, message):
    with pytest.raises(ValueError, match=message):
        search_eval.load_queries(write(tmp_path, "q.toml", text))


def test_the_committed_set_has_every_kind_at_least_18_times():
    loaded = search_eval.load_queries()
    kinds = {kind: sum(1 for q in loaded if q.kind == kind) for kind in search_eval.KINDS}
    assert len(loaded) >= 150
    assert min(kinds.values()) >= 18, kinds


# --------------------------------------------------------------------------- the measures


def test_measures_on_a_hand_made_ranking():
    query = Query("generic", "x", {"a": 2, "b": 1, "c": 1})
    groups = {"a": 10, "b": 20, "c": 30}
    result = score(query, [99, 20, 98, 10], groups)
    assert result.found == [(2, 1), (4, 2)]
    assert result.recall == pytest.approx(2 / 3)
    assert result.rr == pytest.approx(1 / 2)
    ideal = 2 + 1 / 1.5849625 + 1 / 2  # gains 2, 1, 1 at ranks 1, 2, 3
    assert result.ndcg == pytest.approx((1 / 1.5849625 + 2 / 2.3219281) / ideal, rel=1e-6)


def test_recall_is_capped_at_the_page_and_copies_count_once():
    many = {f"u{i}": 1 for i in range(15)}
    groups = {url: i for i, url in enumerate(many)}
    result = score(Query("lay", "x", many), list(range(10)), groups)
    assert result.recall == 1.0 and result.ndcg == pytest.approx(1.0)
    # Two judged URLs that are the same story (a copy and its original) are one judged story.
    result = score(Query("lay", "x", {"orig": 2, "copy": 1}), [7, 7], {"orig": 7, "copy": 7})
    assert result.judged == 1 and result.found == [(1, 2)] and result.recall == 1.0


def test_a_story_outside_the_top_ten_and_an_unknown_url_score_nothing():
    result = score(Query("typo", "x", {"a": 2, "gone": 1}), [*range(100, 111), 5], {"a": 5})
    assert result.found == [] and result.rr == 0 and result.recall == 0 and result.ndcg == 0
    assert result.missing_urls == ["gone"] and result.judged == 1


# --------------------------------------------------------------------------- end to end


def test_evaluation_runs_the_real_search_on_a_tiny_corpus(vocabulary, corpus, queries):
    report = search_eval.import_corpus(corpus)
    assert report.counts["imported"] == 3
    assert Article.objects.filter(status="published").count() == 3
    evaluation = search_eval.evaluate(search_eval.load_queries(queries))
    by_query = {r.query.q: r for r in evaluation.results}
    assert by_query["aspirin"].rr == 1.0 and by_query["aspirin"].recall == 1.0
    assert by_query["ruxolitinib"].rr == 1.0 and by_query["ruxolitinib"].missing_urls == [
        "https://example.org/not-imported"
    ]
    assert by_query["zzqx"].hits == 0 and by_query["zzqx"].rr == 0
    assert [r.query.q for r in evaluation.empty()] == ["zzqx"]
    generic, lay = evaluation.summary("generic"), evaluation.summary("lay")
    assert (generic.queries, generic.recall, generic.mrr, generic.zero_rate) == (2, 1.0, 1.0, 0.0)
    assert (lay.queries, lay.zero, lay.zero_rate) == (1, 1, 1.0)
    assert evaluation.summary().mrr == pytest.approx(2 / 3)
    assert search_eval.floors_met(evaluation, {"generic": {"recall": 1.0, "mrr": 1.0}}) == []
    assert search_eval.floors_met(evaluation, {"lay": {"mrr": 0.5}}) == [("lay", "mrr", 0.0, 0.5)]


def test_the_command_imports_once_then_prints_the_table(vocabulary, corpus, queries):
    out, err = io.StringIO(), io.StringIO()
    call_command("evaluate_search", queries=str(queries), corpus=str(corpus), stdout=out, stderr=err)
    text = out.getvalue()
    assert "Importing the 3 stories" in text and "3 imported" in text
    assert "recall@10" in text and "nDCG@10" in text
    assert "generic               2     1.000  1.000" in text
    assert "'zzqx' (1 judged)" in text
    assert "1 judged stories are not in the database" in err.getvalue()
    again = io.StringIO()
    call_command("evaluate_search", queries=str(queries), corpus=str(corpus), stdout=again, stderr=io.StringIO())
    assert "already imported" in again.getvalue() and "Importing" not in again.getvalue()
    assert Article.objects.count() == 3


def test_the_command_names_what_is_missing(vocabulary, tmp_path, queries):
    with pytest.raises(CommandError, match="healthstory.jsonl: the FakeHealth corpus is not there"):
        call_command("evaluate_search", queries=str(queries), corpus=str(tmp_path / "healthstory.jsonl"))
    with pytest.raises(CommandError, match="absent.toml"):
        call_command("evaluate_search", queries=str(tmp_path / "absent.toml"))


def test_the_command_needs_the_vocabulary(queries, corpus):
    with pytest.raises(CommandError, match="The vocabulary is empty"):
        call_command("evaluate_search", queries=str(queries), corpus=str(corpus))
