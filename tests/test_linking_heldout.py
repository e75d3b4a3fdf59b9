"""Linking measured on the held-out stories (tests/data/linking/heldout.toml), and the general
fixes their blind run called for, each tested on other sentences.

The full vocabulary is loaded once for this module by the fixture of test_ingest_linking.py.
"""

from pathlib import Path

import pytest

from articles.ingest import evaluation
from articles.ingest.matcher import CONDITION, DRUG, INSTITUTION
from articles.models import ConditionAlias, Drug, HistoricalDrug, Origin
from articles.vocabulary import loader
from tests.test_ingest_linking import full_vocabulary, linked  # noqa: F401 (module fixture)

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

HELDOUT = Path(__file__).resolve().parent / "data" / "linking" / "heldout.toml"
# Measured on heldout.toml (README.md beside it): blind, condition F1 0.871 and drug F1 0.816;
# after the fixes below, 0.958 and 1.000. The bar is the 0.90, below the measured level.
BAR = 0.90


def test_heldout_meets_the_bar():
    result = evaluation.evaluate(evaluation.load_gold(HELDOUT))
    assert result.articles >= 20
    assert not result.unknown_gold
    assert result.non_medical_links == {}
    assert result.scores[CONDITION].f1 >= BAR, result.errors
    assert result.scores[DRUG].f1 >= BAR, result.errors


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
