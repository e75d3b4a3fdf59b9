"""Drug identity: forms fold into their moiety, brands, misspellings never shown, combinations."""

import pytest
from django.urls import reverse

from articles.ingest.matcher import DRUG, Matcher
from articles.ingest.pipeline import ImportReport, Linker
from articles.models import AliasKind, ArticleDrug, Drug, DrugAlias, EntityRedirect
from articles.search.autocomplete import suggest
from articles.vocabulary import drug_identity, loader
from articles.vocabulary.drug_identity import (
    DrugIdentityError,
    fold_forms,
    form_base,
    is_misspelling,
    looks_like_brand,
    read_combinations,
)
from articles.vocabulary.sources import EntitySpec, drug_dictionary

from .factories import ArticleFactory, DrugFactory, link, publish


def spec(name, *aliases, **fields):
    made = EntitySpec(key=name.lower(), name=name, fields={"drugbank_id": None, "medlineplus_id": "", **fields})
    made.add_alias(name, kind=AliasKind.NAME)
    for text in aliases:
        made.add_alias(text)
    return made


def specs_of(*specs):
    return {s.key: s for s in specs}


# --------------------------------------------------------------------------- forms


@pytest.mark.parametrize(
    ("name", "base"),
    [
        ("Zanubrutinib Mesylate", "zanubrutinib"),
        ("Tenofovir disoproxil fumarate", "tenofovir"),
        ("Dexamethasone sodium phosphate", "dexamethasone"),
        ("Potassium clavulanate", "clavulanate"),
        ("Exampizumab deruxtecan-abcd", "exampizumab deruxtecan"),
        ("Aducanumab-avwa", "aducanumab"),
        ("Fam-trastuzumab deruxtecan-nxki", "trastuzumab deruxtecan"),
        ("Aspirin-free", None),
        ("Oxycodone hydrochloride monohydrate", "oxycodone"),
        ("Sodium chloride", None),  # two ions: not a form of sodium
        ("Calcium carbonate", None),
        ("Zinc acetate", None),
        ("Adenosine diphosphate", None),  # a nucleotide, not a salt
        ("Abacavir and Lamivudine", None),  # a combination
        ("Ruxolitinib", None),
    ],
)
def test_form_base(name, base):
    assert form_base(name) == base


def test_forms_fold_into_the_moiety_which_keeps_its_ids_and_takes_the_forms_names():
    specs = specs_of(
        spec("Zanubrutinib", drugbank_id="DB15035"),
        spec("Zanubrutinib Mesylate", "Brukinsa", drugbank_id="DB99999", medlineplus_id="a620001"),
        spec("Valproic acid", "valproate"),
        spec("Sodium valproate", "Epilim"),
        spec("Sodium chloride", "saline"),
    )
    specs["zanubrutinib mesylate"].aliases["brukinsa"].is_brand = True
    folded = fold_forms(specs, {"valproate": ["valproic acid"]})
    assert folded == {"zanubrutinib mesylate": "zanubrutinib", "sodium valproate": "valproic acid"}
    moiety = specs["zanubrutinib"]
    assert moiety.fields["drugbank_id"] == "DB15035"  # its own id stays
    assert moiety.fields["medlineplus_id"] == "a620001"  # an empty field takes the form's
    assert moiety.aliases["zanubrutinib mesylate"].kind == AliasKind.SYNONYM
    assert moiety.aliases["brukinsa"].is_brand
    assert moiety.absorbs == ["zanubrutinib mesylate"]
    assert "epilim" in specs["valproic acid"].aliases
    assert "sodium chloride" in specs  # not a form


def test_curated_exceptions_keep_a_form_apart_and_an_unknown_name_is_an_error():
    specs = specs_of(spec("Edetate"), spec("Edetate disodium"))
    assert fold_forms(specs, {}, keep_separate=["Edetate disodium"]) == {}
    with pytest.raises(DrugIdentityError, match="Nonexistamab"):
        fold_forms(specs, {}, extra_folds={"Nonexistamab": "Edetate"})


# --------------------------------------------------------------------------- brands


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("ozempic", "semaglutide"),
        ("lipitor", "atorvastatin"),
        ("crestor", "rosuvastatin"),
        ("tylenol", "acetaminophen"),
        ("dupixent", "dupilumab"),
        ("valium", "diazepam"),
        ("nexium", "esomeprazole"),
        ("benadryl", "diphenhydramine"),
        ("lamictal", "lamotrigine"),
        ("wegovy", "semaglutide"),
    ],
)
def test_real_brands_are_flagged(variant, canonical):
    assert looks_like_brand(variant, canonical, frozenset({canonical}))


@pytest.mark.parametrize(
    ("variant", "canonical"),
    [
        ("semaglutida", "semaglutide"),  # a foreign INN form
        ("semaglutidum", "semaglutide"),
        ("sodium valproate", "valproic acid"),  # a salt
        ("nn9535", "semaglutide"),  # a code
        ("atorvastatin calcium", "atorvastatin"),
        ("hmg-coa reductase inhibitors", "statins"),  # a class
        ("cefalexina", "cephalexin"),
        ("propranolol", "inderal"),  # another drug's generic name
        ("insulin receptor", "insulin"),
        ("n-dpa", "valproic acid"),  # a chemical abbreviation
    ],
)
def test_generics_salts_codes_and_classes_are_not_brands(variant, canonical):
    assert not looks_like_brand(variant, canonical, frozenset({canonical, "propranolol"}))


def test_brand_heuristic_against_the_packages_own_flags():
    """The package flags some names itself (brand or not): the heuristic, which decides the
    rest, must agree with it on almost all of its 'not a brand' answers and find most brands."""
    raw = drug_dictionary()
    generic = frozenset(raw["drug_canonical_to_data"])
    flagged = raw["drug_variant_to_variant_data"]

    def guess(variant):
        return any(looks_like_brand(variant, c, generic) for c in raw["drug_variant_to_canonical"].get(variant, ()))

    brands = [v for v, data in flagged.items() if data.get("is_brand") and v in raw["drug_variant_to_canonical"]]
    generics = [v for v, data in flagged.items() if data.get("is_brand") is False]
    found = sum(map(guess, brands)) / len(brands)
    wrong = sum(map(guess, generics)) / len(generics)
    assert found >= 0.8  # 115 of 138; 82 with the previous endings list
    assert wrong <= 0.005


# --------------------------------------------------------------------------- misspellings


@pytest.mark.parametrize(
    ("name", "trusted", "expected"),
    [
        ("ruxolitnib", {"ruxolitinib"}, True),
        ("reybelsus", {"rybelsus"}, True),
        ("alprazolan", {"alprazolam"}, True),
        ("sulphasalazine", {"sulfasalazine"}, False),  # British spelling
        ("semaglutida", {"semaglutide"}, False),  # foreign form
        ("lipocalin", {"lipocalins"}, False),  # plural
        ("pepsinogen ii", {"pepsinogen c"}, False),  # another word
        ("ibuprofen", {"ibuprofen"}, False),
    ],
)
def test_misspelling_rule(name, trusted, expected):
    assert is_misspelling(name, trusted) is expected


def test_two_brands_of_one_length_are_two_names_not_a_typo():
    assert not is_misspelling("jakafi", {"jakavi"}, brands=frozenset({"jakafi", "jakavi"}))


@pytest.fixture
def misspelt_drug(db):
    drug = DrugFactory(name="Ruxolitinib", slug="ruxolitinib", aliases=["Jakafi"])
    DrugAlias.objects.filter(drug=drug, normalized="jakafi").update(is_brand=True)
    DrugAlias.objects.create(drug=drug, text="ruxolitnib", kind=AliasKind.MISSPELLING)
    DrugAlias.objects.create(drug=drug, text="Jakkafi", kind=AliasKind.MISSPELLING, is_brand=True)
    return drug


def test_misspellings_are_never_shown(misspelt_drug, client):
    shown = [a.text for a in Drug.objects.prefetch_related("aliases").get(pk=misspelt_drug.pk).other_names()]
    assert shown == ["Jakafi"]
    data = client.get(reverse("api:drug-detail", kwargs={"slug": "ruxolitinib"})).json()
    assert [a["text"] for a in data["aliases"]] == ["Jakafi"]
    assert data["brand_names"] == ["Jakafi"]
    page = client.get(misspelt_drug.get_absolute_url()).content.decode()
    assert "Jakafi" in page and "ruxolitnib" not in page and "Jakkafi" not in page


def test_a_misspelling_matches_and_autocompletes_to_the_name_only(misspelt_drug):
    (suggestion,) = suggest("ruxolitn")
    assert suggestion.name == "Ruxolitinib" and suggestion.label == "Ruxolitinib"
    assert DRUG in {m.entity_type for m in Matcher.build().match("She took ruxolitnib daily.").mentions}


# --------------------------------------------------------------------------- combinations


def test_combinations_from_names_and_the_curated_list():
    specs = specs_of(
        spec("Ledipasvir"),
        spec("Sofosbuvir"),
        spec("Ledipasvir and Sofosbuvir"),
        spec("Aprepitant"),
        spec("Fosaprepitant"),
        spec("Aprepitant/fosaprepitant"),
        spec("Ledipasvir/sofosbuvir", "Harvoni"),
        spec("Sitagliptin", "Janumet"),
        spec("Metformin"),
    )
    specs["sitagliptin"].aliases["janumet"].is_brand = True
    curated = {
        "combination": [
            {"name": "Sitagliptin and Metformin", "brands": ["Janumet"], "ingredients": ["sitagliptin", "metformin"]}
        ]
    }
    found = read_combinations(specs, {}, {}, curated)
    assert found["ledipasvir and sofosbuvir"] == ["ledipasvir", "sofosbuvir"]
    # The same product twice in the dictionary is one drug, under its "A and B" entry.
    assert "ledipasvir/sofosbuvir" not in specs and "ledipasvir/sofosbuvir" not in found
    assert "harvoni" in specs["ledipasvir and sofosbuvir"].aliases
    assert specs["ledipasvir and sofosbuvir"].absorbs == ["ledipasvir/sofosbuvir"]
    assert "aprepitant/fosaprepitant" not in found  # one drug's two forms, not a combination
    created = specs["supplement:sitagliptin and metformin"]
    assert created.ingredients == ["sitagliptin", "metformin"]
    assert created.aliases["janumet"].is_brand
    assert "janumet" not in specs["sitagliptin"].aliases  # the brand belongs to the combination


def test_unknown_ingredient_is_named():
    specs = specs_of(spec("Metformin"))
    curated = {"combination": [{"name": "Metformin and Imaginol", "ingredients": ["metformin", "imaginol"]}]}
    with pytest.raises(DrugIdentityError, match="'imaginol'"):
        read_combinations(specs, {}, {}, curated)


def test_the_shipped_data_has_150_combinations_and_resolves(vocabulary_specs):
    curated = drug_identity.read_data("combinations.toml")
    assert len(curated["combination"]) >= 150
    combos = [s for s in vocabulary_specs["drugs"].values() if s.ingredients]
    assert len(combos) >= 300  # 330
    paxlovid = next(s for s in combos if "paxlovid" in s.aliases)
    assert {vocabulary_specs["drugs"][k].name for k in paxlovid.ingredients} == {"Nirmatrelvir", "Ritonavir"}
    keytruda = next(s for s in vocabulary_specs["drugs"].values() if "keytruda" in s.aliases)
    assert not keytruda.ingredients


@pytest.fixture
def combination(db):
    nirmatrelvir = DrugFactory(name="Nirmatrelvir", slug="nirmatrelvir")
    ritonavir = DrugFactory(name="Ritonavir", slug="ritonavir")
    paxlovid = DrugFactory(name="Nirmatrelvir and Ritonavir", slug="paxlovid", aliases=["Paxlovid"])
    paxlovid.ingredients.set([nirmatrelvir, ritonavir])
    return paxlovid


def test_naming_a_combination_links_each_ingredient(combination):
    linker = Linker(Matcher.build(), ImportReport(dry_run=True))
    found = linker.find("Pill approved", "Doctors may now prescribe Paxlovid to older adults.")
    names = dict(Drug.objects.values_list("pk", "name"))
    by_name = {names[item.entity_id]: item for item in found if item.entity_type == DRUG}
    assert set(by_name) == {"Nirmatrelvir and Ritonavir", "Nirmatrelvir", "Ritonavir"}
    assert by_name["Ritonavir"].matched_text == "Paxlovid"


def test_ingredients_on_the_page_and_in_the_api(combination, client):
    data = client.get(reverse("api:drug-detail", kwargs={"slug": "paxlovid"})).json()
    assert [d["name"] for d in data["ingredients"]] == ["Nirmatrelvir", "Ritonavir"]
    ritonavir = client.get(reverse("api:drug-detail", kwargs={"slug": "ritonavir"})).json()
    assert [d["slug"] for d in ritonavir["contained_in"]] == ["paxlovid"]
    page = client.get("/drugs/ritonavir/").content.decode()
    assert "Contained in" in page and "/drugs/paxlovid/" in page
    assert "Combination of" in client.get("/drugs/paxlovid/").content.decode()


# --------------------------------------------------------------------------- an already-loaded database


def test_load_merges_a_form_loaded_before_into_its_moiety(db):
    moiety, form = spec("Zanubrutinib"), spec("Zanubrutinib Mesylate", "Brukinsa")
    loader.load(drugs=specs_of(moiety, form))  # as an earlier version loaded them: two drugs
    old = Drug.objects.get(vocabulary_key="zanubrutinib mesylate")
    article = ArticleFactory()
    link(article, old)
    publish(article)

    specs = specs_of(spec("Zanubrutinib"), spec("Zanubrutinib Mesylate", "Brukinsa"))
    fold_forms(specs, {})
    report = loader.load(drugs=specs)
    assert report.changed
    survivor = Drug.objects.get(vocabulary_key="zanubrutinib")
    assert not Drug.objects.filter(vocabulary_key="zanubrutinib mesylate").exists()
    assert ArticleDrug.objects.get(article=article).drug == survivor
    assert Drug.objects.matching_alias("Brukinsa").get() == survivor
    assert EntityRedirect.objects.get(old_slug=old.slug).target_id == survivor.pk
    assert not loader.load(drugs=specs).changed  # idempotent


def test_load_moves_a_combination_brand_off_the_ingredient_it_was_filed_under(db):
    def vocabulary(with_combination):
        made = specs_of(spec("Sitagliptin", "Janumet"), spec("Metformin"))
        made["sitagliptin"].aliases["janumet"].is_brand = True
        if with_combination:
            curated = {
                "combination": [
                    {
                        "name": "Sitagliptin and Metformin",
                        "brands": ["Janumet"],
                        "ingredients": ["sitagliptin", "metformin"],
                    }
                ]
            }
            read_combinations(made, {}, {}, curated)
        return made

    loader.load(drugs=vocabulary(False))
    assert Drug.objects.matching_alias("Janumet").get().name == "Sitagliptin"
    loader.load(drugs=vocabulary(True))
    combination = Drug.objects.matching_alias("Janumet").get()
    assert combination.name == "Sitagliptin and Metformin"
    assert sorted(combination.ingredients.values_list("name", flat=True)) == ["Metformin", "Sitagliptin"]
    assert not loader.load(drugs=vocabulary(True)).changed
