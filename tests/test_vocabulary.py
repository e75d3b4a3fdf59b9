"""load_vocabulary: the packages' dictionaries plus the supplement, idempotent, on both databases."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from articles.models import (
    AliasKind,
    Condition,
    ConditionAlias,
    ConditionTreeNumber,
    Drug,
    DrugAlias,
    EntityRedirect,
    Institution,
    InstitutionAlias,
    InstitutionKind,
)
from articles.vocabulary import sources
from articles.vocabulary.sources import looks_like_brand

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("load_vocabulary", *args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


def test_subset_loads_entities_aliases_and_tree_and_is_idempotent(load_vocabulary_subset):
    names = {
        "drugs": ["Ruxolitinib", "Semaglutide"],
        "conditions": ["Alopecia", "Alopecia Areata", "Polycythemia Vera"],
        "institutions": ["U.S. Food and Drug Administration"],
    }
    first = load_vocabulary_subset(**names)
    assert first.changed
    assert Drug.objects.count() == 2 and Condition.objects.count() == 3 and Institution.objects.count() == 1

    rux = Drug.objects.get(name="Ruxolitinib")
    assert rux.drugbank_id == "DB08877"
    jakafi = DrugAlias.objects.get(drug=rux, normalized="jakafi")
    assert jakafi.is_brand and jakafi.text == "Jakafi"
    assert DrugAlias.objects.filter(drug=rux, kind=AliasKind.NAME, text="Ruxolitinib").exists()
    semaglutide = Drug.objects.get(name="Semaglutide")
    assert {"wegovy", "ozempic"} <= set(semaglutide.aliases.values_list("normalized", flat=True))

    areata = Condition.objects.get(name="Alopecia Areata")
    assert areata.mesh_id == "D000506"
    assert list(areata.parents()) == [Condition.objects.get(name="Alopecia")]
    assert Condition.objects.matching_alias("hair loss").get().name == "Alopecia"
    assert Condition.objects.matching_alias("polycythaemia vera").get().name == "Polycythemia Vera"

    fda = Institution.objects.get(name="U.S. Food and Drug Administration")
    assert fda.kind == InstitutionKind.REGULATOR
    abbreviation = InstitutionAlias.objects.get(institution=fda, text="FDA")
    assert abbreviation.match_case and abbreviation.kind == AliasKind.ABBREVIATION

    counts = (Drug.objects.count(), DrugAlias.objects.count(), ConditionAlias.objects.count())
    second = load_vocabulary_subset(**names)
    assert not second.changed
    assert (Drug.objects.count(), DrugAlias.objects.count(), ConditionAlias.objects.count()) == counts
    assert sum(c.unchanged for c in second.tables.values()) > 0


def test_editor_values_survive_a_reload(load_vocabulary_subset):
    load_vocabulary_subset(drugs=["Ruxolitinib"])
    rux = Drug.objects.get(name="Ruxolitinib")
    rux.name = "Ruxolitinib (edited)"
    rux.drug_class = "Janus kinase inhibitor (editor's wording)"
    rux.save()
    alias = rux.aliases.get(normalized="jakafi")
    alias.origin = "editor"
    alias.is_brand = False
    alias.save()
    load_vocabulary_subset(drugs=["Ruxolitinib"])
    rux.refresh_from_db()
    assert rux.name == "Ruxolitinib (edited)"
    assert rux.drug_class == "Janus kinase inhibitor (editor's wording)"
    assert rux.aliases.get(normalized="jakafi").is_brand is False
    assert Drug.objects.count() == 1


def test_merged_away_entity_is_not_recreated(load_vocabulary_subset):
    load_vocabulary_subset(drugs=["Ruxolitinib", "Baricitinib"])
    bari = Drug.objects.get(name="Baricitinib")
    EntityRedirect.objects.create(
        entity_type="drug", old_slug=bari.slug, vocabulary_key=bari.vocabulary_key, target_id=1
    )
    bari.delete()
    load_vocabulary_subset(drugs=["Ruxolitinib", "Baricitinib"])
    assert not Drug.objects.filter(name="Baricitinib").exists()


def test_command_on_a_slice_prints_counts_and_second_run_says_nothing_changed():
    first = run("--only", "conditions", "--limit", "40")
    assert "conditions: 40 created" in first
    assert "Vocabulary loaded" in first
    second = run("--only", "conditions", "--limit", "40")
    assert "conditions: 0 created, 0 updated, 40 unchanged" in second
    assert "nothing changed" in second
    assert Condition.objects.count() == 40


def test_command_rejects_bad_limit():
    with pytest.raises(CommandError, match="--limit"):
        run("--limit", "0")


def test_broken_supplement_is_reported_with_its_file(tmp_path, monkeypatch):
    (tmp_path / "institutions.toml").write_text('[[institution]]\nname = "X"\nkind = "bakery"\n')
    monkeypatch.setattr(sources, "DATA_DIR", tmp_path)
    with pytest.raises(CommandError, match="institutions.toml: 'X' has unknown kind 'bakery'"):
        run("--only", "institutions")
    (tmp_path / "institutions.toml").write_text("[[institution]\n")
    with pytest.raises(CommandError, match="institutions.toml"):
        run("--only", "institutions")


def test_supplement_entry_for_unknown_condition_must_say_create(tmp_path, monkeypatch):
    (tmp_path / "conditions.toml").write_text('[[condition]]\nname = "Not A Real Disease"\nsynonyms = ["x"]\n')
    monkeypatch.setattr(sources, "DATA_DIR", tmp_path)
    with pytest.raises(sources.VocabularyError, match="not in the dictionary"):
        sources.read_conditions()


def test_supplement_name_given_to_two_conditions_is_refused(tmp_path, monkeypatch):
    # The matcher links nothing for a name two conditions share equally: the supplement must choose.
    (tmp_path / "conditions.toml").write_text(
        '[[condition]]\nname = "Hearing Loss"\nlay_terms = ["ear trouble"]\n\n'
        '[[condition]]\nname = "Hearing Disorders"\nlay_terms = ["Ear Trouble"]\n'
    )
    monkeypatch.setattr(sources, "DATA_DIR", tmp_path)
    with pytest.raises(sources.VocabularyError, match="'Ear Trouble' is given to both 'Hearing Loss' and"):
        sources.read_conditions()


@pytest.mark.parametrize(
    ("variant", "canonical", "expected"),
    [
        ("wegovy", "semaglutide", True),
        ("jakafi", "ruxolitinib", True),
        ("d8-ruxolitinib", "deuruxolitinib", False),
        ("nafcillin, sodium", "nafcillin", False),
        ("piperidic acid", "gamma-aminobutyric acid", False),
        ("neurotrophin receptors", "receptors, nerve growth factor", False),
    ],
)
def test_brand_heuristic(variant, canonical, expected):
    assert looks_like_brand(variant, canonical) is expected


@pytest.mark.slow
def test_full_vocabulary_load(capsys):
    """The whole vocabulary: ≈20k drugs (forms folded into their moiety), ≈6k conditions, ≈180k names,
    ≥150 institutions."""
    if connection.vendor == "postgresql":
        # Check foreign keys as rows go in: the test's one transaction would otherwise queue
        # ~400k deferred checks for its end (over a minute and a half).
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    output = run()
    assert Drug.objects.count() >= 19_500  # 20,105 before 270 salt, ester and biologic-name forms were folded
    assert Condition.objects.count() >= 6_000
    assert DrugAlias.objects.count() + ConditionAlias.objects.count() >= 170_000
    assert ConditionTreeNumber.objects.count() >= 14_000  # MeSH 2017 positions
    assert Institution.objects.count() >= 150
    assert "Vocabulary loaded" in output

    def resolve(model, text):
        return list(model.objects.matching_alias(text).values_list("name", flat=True))

    assert resolve(Drug, "JAKAFI") == ["Ruxolitinib"]
    assert resolve(Drug, "Jakavi") == ["Ruxolitinib"]
    assert resolve(Condition, "heart attack") == ["Myocardial Infarction"]
    assert resolve(Condition, "Alzheimer's") == ["Alzheimer Disease"]
    assert resolve(Condition, "polycythaemia vera") == ["Polycythemia Vera"]
    assert Condition.objects.get(name="Alzheimer Disease").mesh_id == "D000544"
    assert resolve(Institution, "FDA") == ["U.S. Food and Drug Administration"]
    # Every tree number's parent, when it exists, is one indexed lookup away.
    areata = Condition.objects.get(name="Alopecia Areata")
    assert "Alopecia" in {c.name for c in areata.parents()}

    again = run()
    assert "nothing changed" in again
