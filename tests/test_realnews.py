"""The real-news evaluation (articles/ingest/realnews.py, evaluate_linking --fakehealth) on small
inputs written here: the corpus reader, the selection rule, the gold checks, how gold names
resolve, and the scoring. The run over the full set, with the full vocabulary, is in
tests/test_ingest_linking.py; the check that the annotated set is the rule's selection reads the
corpus from ../shared and is skipped where it is absent.
"""

import hashlib
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from articles.ingest import realnews
from articles.ingest.matcher import CONDITION, DRUG, INSTITUTION, clear_matcher_cache
from articles.models import InstitutionAlias, InstitutionKind
from tests.factories import ConditionFactory, DrugFactory, InstitutionFactory

STORIES = [
    {"url": "https://example.org/a", "title": "Ward news", "body": "A long enough body. " * 30, "source": "x"},
    {"url": "https://example.org/b", "title": "Short note", "body": "Too short.", "source": "x"},
    {"url": "https://example.org/c", "title": "Clinic news", "body": "Another long body. " * 30},
    {"url": "https://example.org/d", "title": "Lab news", "body": "   " + "Third long body. " * 30},
]


def write_jsonl(path, rows, extra_lines=()):
    path.write_text("\n".join([*(json.dumps(row) for row in rows), *extra_lines]) + "\n", encoding="utf-8")
    return path


def write_gold(path, text):
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- reading


def test_read_corpus_keys_stories_by_url_and_skips_blank_lines(tmp_path):
    corpus = realnews.read_corpus(write_jsonl(tmp_path / "s.jsonl", STORIES, extra_lines=["", "  "]))
    assert set(corpus) == {row["url"] for row in STORIES}
    assert corpus["https://example.org/b"]["title"] == "Short note"


def test_read_corpus_errors_name_the_file_and_line(tmp_path):
    with pytest.raises(realnews.CorpusMissing, match="healthstory.jsonl"):
        realnews.read_corpus(tmp_path / "absent" / "healthstory.jsonl")
    with pytest.raises(ValueError, match=r"line 3: not JSON"):
        realnews.read_corpus(write_jsonl(tmp_path / "bad.jsonl", STORIES[:2], extra_lines=["{not json"]))
    with pytest.raises(ValueError, match=r"line 2: a story needs text fields url, title and body"):
        realnews.read_corpus(write_jsonl(tmp_path / "nobody.jsonl", [STORIES[0], {"url": "u", "title": "t"}]))


def test_selection_is_by_url_hash_and_skips_short_bodies(tmp_path):
    corpus = realnews.read_corpus(write_jsonl(tmp_path / "s.jsonl", STORIES))
    chosen = realnews.select_stories(corpus, count=10)
    urls = [story["url"] for story in chosen]
    assert "https://example.org/b" not in urls and len(urls) == 3
    digests = [hashlib.sha256(url.encode()).hexdigest() for url in urls]
    assert digests == sorted(digests)
    assert realnews.select_stories(corpus, count=2) == chosen[:2]


GOLD = """
[[article]]
id = "one"
url = "https://example.org/a"
conditions = ["Migraine Disorders"]
drugs = ["Xofluza", "Kratom"]
institutions = ["Aga Khan University Hospital"]
classes = ["Statins"]
"""


def test_gold_checks_name_what_is_wrong(tmp_path):
    assert realnews.load_gold(write_gold(tmp_path / "g.toml", GOLD))[0]["drugs"] == ["Xofluza", "Kratom"]
    cases = {
        "unknown keys": GOLD.replace("classes =", "klasses ="),
        "`url` is required": GOLD.replace('url = "https://example.org/a"', ""),
        "appears twice": GOLD + GOLD.replace('id = "one"', 'id = "two"'),
        "`drugs` must be a list of names": GOLD.replace('drugs = ["Xofluza", "Kratom"]', 'drugs = "Xofluza"'),
        "no \\[\\[article\\]\\] entries": "title = 'nothing'\n",
    }
    for message, text in cases.items():
        with pytest.raises(ValueError, match=message):
            realnews.load_gold(write_gold(tmp_path / "bad.toml", text))


def test_attach_texts_names_stories_missing_from_the_corpus(tmp_path):
    entries = realnews.load_gold(write_gold(tmp_path / "g.toml", GOLD + GOLD.replace("one", "two").replace("/a", "/z")))
    corpus = realnews.read_corpus(write_jsonl(tmp_path / "s.jsonl", STORIES))
    with pytest.raises(ValueError, match=r"1 annotated stories are not in the corpus \(by url\): two"):
        realnews.attach_texts(entries, corpus)
    (story,) = realnews.attach_texts(entries[:1], corpus)
    assert story.title == "Ward news" and story.gold[realnews.CLASS] == ["Statins"]


# --------------------------------------------------------------------------- resolving gold names


@pytest.mark.django_db
def test_gold_names_resolve_by_name_then_by_a_unique_alias():
    moiety = DrugFactory(name="Baloxavir", aliases=["baloxavir marboxil", "Xofluza"])
    DrugFactory(name="Oseltamivir", aliases=["Tamiflu", "flu pill"])
    DrugFactory(name="Zanamivir", aliases=["Relenza", "flu pill"])
    named = DrugFactory(name="Tamiflu Junior")  # an entity's own name wins over another's alias
    alias_owner = DrugFactory(name="Peramivir", aliases=["Tamiflu Junior"])
    assert realnews.resolve(realnews.Drug, "baloxavir") == (moiety, None)
    assert realnews.resolve(realnews.Drug, "XOFLUZA") == (moiety, None)
    assert realnews.resolve(realnews.Drug, "tamiflu junior") == (named, None)
    assert realnews.resolve(realnews.Drug, "Peramivir")[0] == alias_owner
    assert realnews.resolve(realnews.Drug, "flu pill") == (None, "ambiguous: Oseltamivir; Zanamivir")
    assert realnews.resolve(realnews.Drug, "Kratom") == (None, "not in the vocabulary")


# --------------------------------------------------------------------------- scoring


@pytest.fixture
def small_vocabulary(db):
    ConditionFactory(name="Migraine Disorders", aliases=["migraine", "migraines"])
    ConditionFactory(name="Nausea")
    DrugFactory(name="Erenumab", aliases=["Aimovig"])
    DrugFactory(name="Sumatriptan", aliases=["Imitrex"])
    fda = InstitutionFactory(name="U.S. Food and Drug Administration", kind=InstitutionKind.REGULATOR)
    for text in (fda.name, "FDA"):
        InstitutionAlias.objects.create(institution=fda, text=text)
    clear_matcher_cache()
    yield
    clear_matcher_cache()


def story(body, **gold):
    lists = {realnews.GOLD_KEYS[t]: [] for t in realnews.GOLD_KEYS}
    lists.update(gold)
    return realnews.Story(
        "ours",
        "https://example.org/ours",
        "A migraine drug",
        body,
        {t: lists[key] for t, key in realnews.GOLD_KEYS.items()},
    )


def test_scoring_by_entity_with_brands_gaps_and_new_institutions(small_vocabulary):
    body = (
        "The FDA cleared Aimovig for adults with frequent migraines, the Aga Khan University Hospital said. "
        "Some patients reported nausea. Imitrex remains the usual pill."
    )
    gold = story(
        body,
        conditions=["Migraine Disorders"],
        drugs=["Aimovig", "Kratom"],
        institutions=["FDA", "Aga Khan University Hospital"],
        classes=["Triptans"],
    )
    result = realnews.evaluate([gold])
    assert result.stories == 1
    condition, drug, institution = (result.scores[t] for t in (CONDITION, DRUG, INSTITUTION))
    assert (condition.tp, condition.fp, condition.fn) == (1, 1, 0)  # Nausea is not in our gold: an extra
    assert (drug.tp, drug.fp, drug.fn) == (1, 1, 1)  # Aimovig resolves to Erenumab; Kratom is a gap
    assert (institution.tp, institution.fp, institution.fn) == (2, 0, 0)
    assert ("ours", CONDITION, "extra", "Nausea") in result.errors
    assert ("ours", DRUG, "extra", "Sumatriptan") in result.errors
    assert ("ours", DRUG, "missed", "Kratom") in result.errors
    assert ("ours", DRUG, "Kratom", "not in the vocabulary") in result.gaps
    if realnews.class_model() is None:
        assert realnews.CLASS in result.skipped and realnews.CLASS not in result.scores


def test_command_prints_scores_and_fails_clearly_without_the_corpus(small_vocabulary, tmp_path):
    corpus = write_jsonl(
        tmp_path / "healthstory.jsonl",
        [{"url": "https://example.org/a", "title": "FDA news", "body": "Aimovig was cleared for migraine."}],
    )
    gold = write_gold(tmp_path / "g.toml", GOLD)
    out, err = io.StringIO(), io.StringIO()
    call_command("evaluate_linking", "--fakehealth", str(gold), "--corpus", str(corpus), stdout=out, stderr=err)
    text = out.getvalue()
    assert "1 stories" in text and "precision" in text
    assert "one: drug 'Kratom': not in the vocabulary" in text
    with pytest.raises(CommandError, match="the FakeHealth corpus is not there"):
        call_command("evaluate_linking", "--fakehealth", str(gold), "--corpus", str(tmp_path / "none.jsonl"))
    with pytest.raises(CommandError, match="unknown keys"):
        call_command(
            "evaluate_linking", "--fakehealth", str(write_gold(tmp_path / "b.toml", GOLD + "oops = 1\n")),
            "--corpus", str(corpus),
        )  # fmt: skip


# --------------------------------------------------------------------------- the annotated set


def test_annotated_set_is_the_selection_rule_applied_to_the_corpus():
    entries = realnews.load_gold()
    assert len(entries) >= 60
    if not realnews.DEFAULT_CORPUS.is_file():
        pytest.skip("../shared/corpora/fakehealth is not here")
    chosen = realnews.select_stories(realnews.read_corpus(), count=len(entries))
    assert [entry["url"] for entry in entries] == [row["url"] for row in chosen]
