"""Linking with the full vocabulary loaded, as production has it (≈171k names): the
evaluation sets (tests/data/linking/: articles.toml, and heldout.toml with the general
fixes its blind run called for, each tested on other sentences).

The vocabulary is loaded once for this module inside a transaction that is rolled back
at the end; each test runs in a savepoint inside it. Tests that need it belong here:
another module would load it again (minutes on PostgreSQL).
"""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from articles.ingest import evaluation
from articles.ingest.extract import read_path
from articles.ingest.matcher import CONDITION, DRUG, INSTITUTION, clear_matcher_cache, get_matcher
from articles.ingest.pipeline import import_records
from articles.models import (
    Article,
    Condition,
    ConditionAlias,
    Drug,
    DrugAlias,
    HistoricalDrug,
    Institution,
    Origin,
    StudyType,
)
from articles.vocabulary import loader

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

HELDOUT = Path(__file__).resolve().parent / "data" / "linking" / "heldout.toml"
# Measured on heldout.toml (README.md beside it): blind, condition F1 0.871 and drug F1 0.816;
# after the fixes below, 0.958 and 1.000. The bar is the 0.90, below the measured level.
BAR = 0.90


@pytest.fixture(scope="module", autouse=True)
def full_vocabulary(django_db_setup, django_db_blocker, vocabulary_specs):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            loader.load(**vocabulary_specs)
            # Check the deferred foreign keys of the load now, once: otherwise PostgreSQL
            # checks all of them again at the end of every test (seconds each).
            connection.check_constraints()
            clear_matcher_cache()
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            clear_matcher_cache()


def linked(text):
    """{(type, entity name)} the matcher links in `text`."""
    names = {CONDITION: Condition, DRUG: Drug, INSTITUTION: Institution}
    result = get_matcher().match(text)
    return {(m.entity_type, names[m.entity_type].objects.get(pk=m.entity_id).name) for m in result.mentions}


@pytest.mark.parametrize(
    ("gold", "stories"), [(evaluation.DEFAULT_GOLD, 30), (HELDOUT, 20)], ids=["articles", "heldout"]
)
def test_evaluation_set_meets_the_bar(gold, stories):
    result = evaluation.evaluate(evaluation.load_gold(gold))
    assert result.articles >= stories
    assert not result.unknown_gold
    assert result.non_medical_links == {}
    assert result.scores[CONDITION].f1 >= BAR, result.errors
    assert result.scores[DRUG].f1 >= BAR, result.errors


def test_evaluate_linking_command_prints_scores():
    out = io.StringIO()
    call_command("evaluate_linking", stdout=out, stderr=out)
    text = out.getvalue()
    assert "precision" in text and "condition" in text and "drug" in text
    assert "Non-medical stories: no links." in text


def test_example_article_imports_with_its_links_and_facts(example_article_path):
    report = import_records(read_path(example_article_path), source="Example News")
    assert report.counts["imported"] == 1, report.items
    article = Article.objects.get()
    conditions = {link.condition.name: link for link in article.condition_links.select_related("condition")}
    drugs = {link.drug.name: link for link in article.drug_links.select_related("drug")}
    institutions = {link.institution.name for link in article.institution_links.select_related("institution")}
    assert set(conditions) == {"Alopecia", "Alopecia Areata"}
    assert set(drugs) == {"Ruxolitinib"}
    assert {"Columbia University Irving Medical Center", "Nature Medicine", "Columbia University"} <= institutions
    areata = conditions["Alopecia Areata"]
    assert areata.origin == "auto" and areata.status == "suggested"
    assert areata.mention_count == 3 and article.body[areata.first_offset :].lower().startswith("alopecia areata")
    assert drugs["Ruxolitinib"].mention_count == 2 and 0 < drugs["Ruxolitinib"].confidence < 1
    assert conditions["Alopecia"].in_title  # "hair loss" in the title
    assert article.participants == 3
    assert article.journal == "Nature Medicine"
    assert article.study_type == StudyType.CASE_SERIES


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She has alopecia areata.", {(CONDITION, "Alopecia Areata")}),  # longest match wins
        ("Alzheimer's patients took part.", {(CONDITION, "Alzheimer Disease")}),  # possessive
        ("Treatment for polycythaemia vera.", {(CONDITION, "Polycythemia Vera")}),  # British spelling
        ("Jakafi was given twice daily.", {(DRUG, "Ruxolitinib")}),  # brand → drug
        ("Patients with HIV were enrolled.", {(CONDITION, "HIV Infections")}),  # abbreviation, exact case
        ("He said anorexia was common.", {(CONDITION, "Anorexia Nervosa")}),  # the supplement's choice wins
        ("The results appear in Nature today.", {(INSTITUTION, "Nature")}),  # journal in context
    ],
)
def test_matcher_rules(text, expected):
    assert linked(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "It was a stroke of luck that the bus was late.",
        "He scored two goals before half time.",
        "The new rules will affect thousands of families.",
        "She will lead the delegation to Brussels.",
        "The grant aids research into new batteries.",
        "Markets fell to their lowest level since the Great Depression.",
        "The suicide bombing killed four people.",
        "Police announced the seizure of assets worth millions.",
        "Lithium prices fell as new mines opened.",
        "Nature lovers flocked to the reserve.",
        "Our cell phone network was down.",
        "The hiv test was free.",  # abbreviations only in their own case
        "jakafi is not capitalised here.",  # brands are names
        "Beatles mania swept the country.",
    ],
)
def test_false_friends_link_nothing(text):
    assert linked(text) == set()


def test_aids_the_disease_and_aids_the_verb():
    aids = (CONDITION, "Acquired Immunodeficiency Syndrome")
    assert linked("People living with AIDS need care.") == {aids}
    assert aids in linked("Progress against HIV and Aids has been rapid.")
    assert linked("The money aids recovery.") == set()


def test_unknown_institution_becomes_a_suggested_new_one():
    text = "Ruxolitinib was given to patients at Aga Khan University Hospital in Nairobi."
    report = import_records(read_path_text(text))
    assert report.counts["imported"] == 1
    new = Institution.objects.get(name="Aga Khan University Hospital")
    assert new.origin == "auto" and new.kind == "hospital"
    assert new.aliases.get().origin == "auto"
    link = Article.objects.get().institution_links.get(institution=new)
    assert link.status == "suggested" and link.confidence == 0.5


def read_path_text(text, title="A story about a new hospital"):
    from articles.ingest.extract import Record

    return [Record(where="test", title=title, body=text)]


def test_matcher_is_rebuilt_when_aliases_change():
    matcher = get_matcher()
    assert linked("Zorblatex tablets were given.") == set()
    DrugAlias.objects.create(drug=Drug.objects.get(name="Ruxolitinib"), text="Zorblatex", origin="editor")
    assert get_matcher() is not matcher
    assert linked("Zorblatex tablets were given.") == {(DRUG, "Ruxolitinib")}


# --------------------------------------------------------------------------- held-out set


def test_evaluation_counts_institutions_the_import_would_create():
    story = {
        "id": "new-hospital",
        "title": "Trial at a new hospital",
        "body": "Ruxolitinib was given to patients at Aga Khan University Hospital in Nairobi.",
        "institutions": ["Aga Khan University Hospital"],
        "drugs": ["Ruxolitinib"],
    }
    score = evaluation.evaluate([story]).scores[INSTITUTION]
    assert (score.tp, score.fp, score.fn) == (1, 0, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A supplement restating a dictionary alias makes it curated: Depression is an F01 descriptor.
        ("Rates of depression rose sharply among teenagers.", {(CONDITION, "Depression")}),
        # Lay terms the supplement lacked.
        ("Her GP asked about suicidal thoughts.", {(CONDITION, "Suicidal Ideation")}),
        ("He has an irregular heartbeat.", {(CONDITION, "Arrhythmias, Cardiac")}),
        ("Patients had atherosclerotic cardiovascular disease.", {(CONDITION, "Atherosclerosis")}),
        ("He was seen for a chest infection.", {(CONDITION, "Respiratory Tract Infections")}),
        (
            "Children with B-cell acute lymphoblastic leukaemia were treated.",
            {(CONDITION, "Precursor B-Cell Lymphoblastic Leukemia-Lymphoma")},
        ),
        # A curated drug takes the brands of its salt, dosage-form and biologic-suffix entries.
        ("Aducanumab, sold as Aduhelm, was withdrawn.", {(DRUG, "Aducanumab")}),
        ("Glivec was taken daily.", {(DRUG, "Imatinib")}),
        ("Elvanse was hard to find.", {(DRUG, "Lisdexamfetamine")}),
        ("Trikafta is taken twice a day.", {(DRUG, "Elexacaftor, Tezacaftor, and Ivacaftor")}),
        # A vaccine is also a jab.
        ("Pharmacies offer a shingles jab to older adults.", {(DRUG, "Herpes Zoster Vaccine")}),
        ("HPV jabs are offered in schools.", {(DRUG, "Papillomavirus Vaccines")}),
        ("Nurses gave MMR jabs at the clinic.", {(DRUG, "Measles-Mumps-Rubella Vaccine")}),
        ("NHS Blood and Transplant needs more donors.", {(INSTITUTION, "NHS Blood and Transplant")}),
        # The medical senses next to the new vetoes still link.
        ("Stroke rates fell in the last decade.", {(CONDITION, "Stroke")}),
        ("Her cancer was found early.", {(CONDITION, "Neoplasms")}),
        ("The injury left him with paralysis.", {(CONDITION, "Paralysis")}),
    ],
)
def test_heldout_gaps_now_link(text, expected):
    assert linked(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Economists fear a depression if the banks fail.",
        "A deep depression over the North Sea will bring rain.",
        "Her stroke set a punishing rate in the final minute.",
        "He sat in the stroke seat for Leander.",
        "Doping is a cancer eating away at the sport.",
        "Corruption became a cancer at the heart of the club.",
        "The government is in a state of paralysis.",
        "Infectious disease specialists met in Vienna.",
        # Classes, dosage forms and biology are not medicines.
        "Opioid prescriptions fell last year.",
        "The medicine comes as a nasal spray.",
        "It is an antibody-drug conjugate.",
        "Monoclonal antibodies are expensive.",
        "The CFTR protein is faulty.",
    ],
)
def test_heldout_false_friends_link_nothing(text):
    assert linked(text) == set()


def test_supplement_restatement_and_variant_brands_are_curated(vocabulary_specs):
    depression = next(s for s in vocabulary_specs["conditions"].values() if s.name == "Depression")
    assert depression.aliases["depression"].origin == Origin.SUPPLEMENT
    lisdexamfetamine = next(s for s in vocabulary_specs["drugs"].values() if s.name == "Lisdexamfetamine")
    elvanse = lisdexamfetamine.aliases["elvanse"]
    assert elvanse.is_brand and elvanse.origin == Origin.SUPPLEMENT


def test_reload_updates_alias_origin_and_fills_empty_fields_with_history(vocabulary_specs):
    ConditionAlias.objects.filter(normalized="depression").update(origin=Origin.VOCABULARY)
    Drug.objects.filter(name="Lisdexamfetamine").update(drug_class="")
    pick = {k: s for k, s in vocabulary_specs["drugs"].items() if s.name == "Lisdexamfetamine"}
    conditions = {k: s for k, s in vocabulary_specs["conditions"].items() if s.name == "Depression"}
    loader.load(drugs=pick, conditions=conditions)
    assert ConditionAlias.objects.get(normalized="depression").origin == Origin.SUPPLEMENT
    drug = Drug.objects.get(name="Lisdexamfetamine")
    assert drug.drug_class
    assert HistoricalDrug.objects.filter(id=drug.pk, drug_class=drug.drug_class).exists()
