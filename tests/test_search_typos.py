"""Typo candidates: the same aliases on SQLite (in-memory trigrams) as on PostgreSQL (pg_trgm).

Runs on SQLite and on PostgreSQL (see Makefile). Both paths are checked against a
brute-force oracle of pg_trgm's definition; on PostgreSQL, the in-memory index is
also checked against pg_trgm itself over the same aliases.
"""

import random
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from articles.kinds import KINDS
from articles.models import DrugAlias
from articles.search import fuzzy, trigrams
from articles.vocabulary import loader

pytestmark = pytest.mark.django_db


@pytest.fixture
def aliases(vocabulary_specs):
    """A slice of the real vocabulary: ~1,000 drugs and ~300 conditions with all their names."""
    loader.load(
        drugs=dict(list(vocabulary_specs["drugs"].items())[:1000]),
        conditions=dict(list(vocabulary_specs["conditions"].items())[:300]),
        institutions=vocabulary_specs["institutions"],
    )
    rows = []
    for kind in KINDS:
        rows.extend((kind.name, pk, text) for pk, text in kind.alias_model.objects.values_list("pk", "normalized"))
    return rows


def typos(rows, count=150, seed=7):
    """Each a real name with one letter dropped, plus multi-word, short and unmatched texts."""
    rng = random.Random(seed)  # a reproducible sample
    texts = ["alzheimers diseese", "heart atack", "columbia universty", "qqqzzzxx", "1234", "ab"]
    for _, _, name in rng.sample(rows, count):
        if len(name) > 4:
            position = rng.randrange(len(name))
            texts.append(name[:position] + name[position + 1 :])
    return texts


def oracle(rows, text, limit=fuzzy.TRIGRAM_LIMIT, threshold=trigrams.SIMILARITY_THRESHOLD):
    """pg_trgm's `normalized % text ORDER BY similarity DESC, id LIMIT n`, per kind, by brute force
    over `rows` of (kind, id, name, trigrams)."""
    own = trigrams.trigrams(text)
    scored = {}
    for kind, pk, name, theirs in rows:
        common = len(own & theirs)
        union = len(own) + len(theirs) - common
        similarity = common / union if union else 0.0
        if similarity >= threshold:
            scored.setdefault(kind, []).append((-similarity, pk, name))
    found = []
    for kind, items in scored.items():
        found.extend((kind, pk, name) for _, pk, name in sorted(items)[:limit])
    return sorted(found)


def test_trigrams_are_pg_trgm_s():
    assert trigrams.trigrams("rux olitnib") == {
        "  r", " ru", "rux", "ux ", "  o", " ol", "oli", "lit", "itn", "tni", "nib", "ib ",
    }  # fmt: skip
    assert trigrams.trigrams("a") == {"  a", " a "}
    assert trigrams.trigrams("") == set()
    assert trigrams.TrigramIndex.build([]).similar("abc", 12) == []
    index = trigrams.TrigramIndex.build([(0, 1, ""), (0, 2, "heart attack"), (1, 3, "日本語 テスト")])
    assert index.sizes.tolist() == [0, 13, 8]
    assert index.similar("heart atack", 12) == [(0, 2, "heart attack")]
    assert index.similar("日本語", 12) == [(1, 3, "日本語 テスト")]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for text in ("ruxolitinib", "alzheimer disease", "b12", "x"):
                cursor.execute("SELECT show_trgm(%s)", [text])
                assert set(cursor.fetchone()[0]) == trigrams.trigrams(text), text


def test_in_memory_candidates_are_pg_trgm_s_by_its_definition(aliases):
    texts = typos(aliases)
    found = fuzzy._in_memory(texts)
    rows = [(kind, pk, name, trigrams.trigrams(name)) for kind, pk, name in aliases]
    for text in texts:
        assert sorted(found[text]) == oracle(rows, text), text
    assert found["qqqzzzxx"] == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm is PostgreSQL's")
def test_in_memory_candidates_equal_pg_trgm_over_the_same_aliases(aliases):
    texts = typos(aliases, count=200, seed=11)
    by_pg_trgm = fuzzy._trigram(texts)
    in_memory = fuzzy._in_memory(texts)
    assert sum(len(v) for v in by_pg_trgm.values()) > len(texts)  # the comparison is not of empty lists
    for text in texts:
        assert sorted(in_memory[text]) == sorted(by_pg_trgm[text]), text


def test_an_alias_added_is_a_typo_candidate_at_once(aliases):
    fuzzy.find(["ruxolitnib"])  # the index is built
    drug_alias = DrugAlias.objects.first()
    DrugAlias.objects.create(drug=drug_alias.drug, text="Zorblatinumab")
    [hit, *_] = fuzzy.find(["zorblatinumb"])["zorblatinumb"]
    assert (hit.kind, hit.normalized) == ("drug", "zorblatinumab") and hit.score > 90


def test_numpy_is_loaded_only_for_a_typo_lookup_in_memory():
    """The site's start-up (every URL, view and search module) does not import NumPy."""
    code = (
        "import sys, django; django.setup(); import newsbase.urls, articles.search.fuzzy; print('numpy' in sys.modules)"
    )
    env = {"DJANGO_SETTINGS_MODULE": "newsbase.settings", "DEBUG": "1", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "False", result.stderr


def test_a_typo_between_two_close_names_goes_to_the_one_more_stories_use(db):
    from articles.search.query import parse
    from articles.search.resolve import correct_typos, resolve

    from .factories import DrugFactory
    from .searchkit import story

    common = DrugFactory(name="Corvatinib")
    rare = DrugFactory(name="Korvatinib")
    for n in range(3):
        story(f"Corvatinib study {n}", "Corvatinib was given daily.", links=[(common, {})])
    story("Korvatinib study", "Korvatinib was given daily.", links=[(rare, {})])
    query = parse("orvatinib")
    corrected = correct_typos(query, resolve(query))
    assert corrected is not None and corrected.suggestion == "corvatinib"


def test_a_typo_goes_to_a_name_stories_use_rather_than_a_closer_one_none_uses(db):
    from articles.search.query import parse
    from articles.search.resolve import correct_typos, resolve

    from .factories import ConditionFactory
    from .searchkit import story

    ConditionFactory(name="Velmapetrosis")  # closer to the typo (96), in no story
    used = ConditionFactory(name="Velmaporosis")  # 92, in two
    for n in range(2):
        story(f"Velmaporosis study {n}", "Velmaporosis was studied.", links=[(used, {})])
    query = parse("velmaperosis")
    corrected = correct_typos(query, resolve(query))
    assert corrected.corrected and corrected.suggestion == "velmaporosis"
    assert [m.entity.name for m in corrected.matches] == ["Velmaporosis"]


def test_a_looser_typo_is_used_when_stories_use_the_name_and_only_offered_when_none_do(db):
    from articles.search.query import parse
    from articles.search.resolve import correct_typos, resolve

    from .factories import DrugFactory
    from .searchkit import story

    query = parse("korvalimumab")  # two letters swapped: similarity 83, under FUZZY_CONFIDENT
    drug = DrugFactory(name="Korvilamumab")
    corrected = correct_typos(query, resolve(query))
    assert corrected.suggestion == "korvilamumab" and not corrected.corrected  # no story: offered only
    story("Korvilamumab trial", "Korvilamumab was given.", links=[(drug, {})])
    corrected = correct_typos(query, resolve(query))
    assert corrected.corrected and [m.entity.name for m in corrected.matches] == ["Korvilamumab"]


def test_a_typo_of_a_word_two_entities_share_names_both_the_unambiguous_one_first(db):
    from articles.models import AliasKind, InstitutionAlias, InstitutionKind
    from articles.search.query import parse
    from articles.search.resolve import correct_typos, resolve

    from .factories import ConditionFactory, InstitutionFactory
    from .searchkit import story

    condition = ConditionFactory(name="Velmaporosis Mellitus", aliases=["velmaporosis"])
    journal = InstitutionFactory(name="Velmaporosis", kind=InstitutionKind.JOURNAL)
    # A journal named by the disease's word: its name links only where the context says so.
    InstitutionAlias.objects.create(institution=journal, text="Velmaporosis", kind=AliasKind.NAME, is_ambiguous=True)
    for n in range(2):
        story(f"Velmaporosis study {n}", "Velmaporosis was studied.", links=[(condition, {}), (journal, {})])
    exact = resolve(parse("velmaporosis"))
    assert [m.entity.name for m in exact.matches] == ["Velmaporosis Mellitus", "Velmaporosis"]
    query = parse("velmaporossis")
    corrected = correct_typos(query, resolve(query))
    # Both names share the corrected word: that is one correction, not two rival ones.
    assert corrected.corrected and corrected.suggestion == "velmaporosis"
    assert [m.entity.name for m in corrected.matches] == ["Velmaporosis Mellitus", "Velmaporosis"]
