"""Drug entries that are not medicines (classes, body chemistry, food) and drug names that
name something else ("methicillin-resistant", "a guaiac test") do not link as drugs."""

import pytest

from articles.ingest.matcher import DRUG, Matcher
from articles.models import AliasKind
from articles.vocabulary.drug_identity import form_base, not_a_medicine
from articles.vocabulary.sources import EntitySpec, VocabularyError, _mark_not_medicines

from .factories import DrugFactory


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"mesh_tree": ["D27.505.696.399"]}, "class"),  # a pharmacologic action: "Androgens"
        ({"mesh_tree": ["D12.776.070.400", "D10.532.091"]}, "biology"),  # an apolipoprotein
        ({"mesh_tree": ["D08.244.453"]}, "biology"),  # an enzyme
        ({"mesh_tree": ["D12.644.548", "D06.472.699"]}, None),  # a hormone: also a medicine
        ({"mesh_tree": ["D12.776.070"], "drugbank_id": "DB00001"}, None),  # DrugBank lists it
        ({"mesh_tree": ["D27.505.696"], "medline_plus_id": "a600001"}, None),
        ({"mesh_tree": ["D02.078.370"]}, None),  # an ordinary chemical
        ({"drugbank_id": "DB00002"}, None),
        ({}, None),
    ],
)
def test_not_a_medicine_reads_the_mesh_tree(data, reason):
    assert not_a_medicine(data) == reason


def spec(name, *aliases):
    made = EntitySpec(key=name.lower(), name=name)
    made.add_alias(name, kind=AliasKind.NAME)
    for text in aliases:
        made.add_alias(text)
    return made


def test_not_medicines_keep_their_names_but_never_match():
    specs = {s.key: s for s in (spec("Exampro"), spec("Lipidex", "lipidexes"), spec("Grainrice"), spec("Toxinum"))}
    data = {"lipidex": {"mesh_tree": ["D10.1"]}, "toxinum": {"mesh_tree": ["D08.1"]}, "exampro": {"drugbank_id": "DB1"}}
    supplement = {"not_medicines": {"food": ["Grainrice"], "given_as_medicines": ["Toxinum"]}}
    _mark_not_medicines(specs, data, supplement)
    assert all(a.is_ambiguous for a in specs["lipidex"].aliases.values())
    assert all(a.is_ambiguous for a in specs["grainrice"].aliases.values())
    assert not any(a.is_ambiguous for a in specs["toxinum"].aliases.values())
    assert not any(a.is_ambiguous for a in specs["exampro"].aliases.values())


def test_an_unknown_not_medicine_name_is_an_error():
    with pytest.raises(VocabularyError, match="(?i)nosuchfood"):
        _mark_not_medicines({"a": spec("A")}, {}, {"not_medicines": {"food": ["Nosuchfood"]}})


def test_a_gum_or_lozenge_is_a_dosage_form_of_its_drug():
    assert form_base("Nicotine Gum") == "nicotine"
    assert form_base("Nicotine lozenges") == "nicotine"


@pytest.mark.parametrize(
    ("sentence", "linked"),
    [
        ("The ward gave exampicillin to every patient.", True),
        ("An outbreak of exampicillin-resistant bacteria closed the ward.", False),
        ("Germs that are exampicillin resistant spread fast.", False),
        ("The older exampicillin test missed many cases.", False),
        ("Two exampicillin tests were compared.", False),
        ("Doctors tested exampicillin in children.", True),
    ],
)
def test_a_drug_name_before_resistant_or_test_is_not_the_drug(db, sentence, linked):
    DrugFactory(name="Exampicillin", slug="exampicillin")
    mentions = Matcher.build().match(sentence).mentions
    assert (DRUG in {m.entity_type for m in mentions}) is linked
