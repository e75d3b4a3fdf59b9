"""The general linking rules of issue 11 that need no database: the BC5CDR reader and scorer
(articles/ingest/bc5cdr.py), generated condition forms (articles/vocabulary/forms.py),
abbreviation definitions (articles/ingest/abbreviations.py) and the sentence test for everyday
words (articles/ingest/everyday.py). Every sentence here is our own. With the full vocabulary
the same rules are tested in tests/test_ingest_linking.py."""

from dataclasses import dataclass
from pathlib import Path

import pytest

from articles.ingest import abbreviations, bc5cdr, conditionrules, everyday
from articles.vocabulary import forms
from articles.vocabulary.sources import AliasSpec, EntitySpec

SAMPLE = Path(__file__).resolve().parent / "data" / "bc5cdr" / "sample.PubTator.txt"


# --------------------------------------------------------------------------- BC5CDR reader and scorer


def test_reader_reads_titles_abstracts_and_disease_ids():
    documents = bc5cdr.read_file(SAMPLE)
    assert [d.pmid for d in documents] == ["900001", "900002"]
    first, second = documents
    assert first.title.startswith("Liver damage") and first.abstract.startswith("Two patients")
    assert first.diseases == {"D056486", "D058186"}  # the chemical and the CID relation are not diseases
    # "D012640|D004827" counts each id; "-1" is no concept and is dropped.
    assert second.diseases == {"D006973", "D003924", "D012640", "D004827"}
    assert ("diabetes", set()) in second.mentions


def test_reader_offsets_point_at_the_mention():
    lines = SAMPLE.read_text().splitlines()
    text = {"900001": None}
    for line in lines:
        head = line.split("|", 2)
        if len(head) == 3 and head[1] == "t":
            title = head[2]
        elif len(head) == 3 and head[1] == "a":
            text[head[0]] = f"{title} {head[2]}"
        elif "\t" in line and line.split("\t")[1].isdigit():
            pmid, start, end, mention = line.split("\t")[:4]
            assert text[pmid][int(start) : int(end)] == mention


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["1|a|An abstract first."], "line 1: abstract of 1 without a title"),
        (["1|t|Title.", "1\t0\t5\tTitle"], "line 2: an annotation needs six"),
        (["1|t|Title.", "2\t0\t5\tTitle\tDisease\tD000001"], "line 2: not a title, abstract or annotation"),
        (["just some text"], "line 1"),
    ],
)
def test_reader_names_the_bad_line(lines, message):
    with pytest.raises(bc5cdr.PubTatorError, match=message):
        bc5cdr.read_pubtator(lines)


def test_reader_rejects_a_file_without_documents(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    with pytest.raises(bc5cdr.PubTatorError, match="no documents"):
        bc5cdr.read_file(empty)


def test_disease_ids_split_composites_and_drop_minus_one():
    assert bc5cdr.disease_ids("D1|D2") == {"D1", "D2"}
    assert bc5cdr.disease_ids("-1") == set()
    assert bc5cdr.disease_ids("D3") == {"D3"}


def test_score_is_micro_averaged_over_documents():
    results = [
        bc5cdr.DocumentResult("a", predicted={"D1", "D2"}, gold={"D1", "D3"}),  # tp 1, fp 1, fn 1
        bc5cdr.DocumentResult("b", predicted={"D4"}, gold={"D4"}),  # tp 1
        bc5cdr.DocumentResult("c", predicted=set(), gold={"D5", "D6"}),  # fn 2
    ]
    score = bc5cdr.score(results)
    assert (score.tp, score.fp, score.fn) == (2, 1, 3)
    assert score.precision == pytest.approx(2 / 3) and score.recall == pytest.approx(2 / 5)
    assert score.f1 == pytest.approx(2 * (2 / 3) * (2 / 5) / (2 / 3 + 2 / 5))
    benchmark = bc5cdr.Benchmark(score=score, documents=results)
    false_positives, false_negatives = benchmark.commonest_errors()
    assert false_positives == [("D2", 1)] and {i for i, _ in false_negatives} == {"D3", "D5", "D6"}


# --------------------------------------------------------------------------- generated forms


@pytest.mark.parametrize(
    ("name", "other"),
    [
        ("arrhythmia", "arrhythmias"),
        ("brain tumours", "brain tumour"),
        ("seizure", "seizures"),
        ("melanoma", "melanomas"),
        ("heart attacks", "heart attack"),
        ("kidney injury", "kidney injuries"),
        ("pneumonia", ""),  # not countable
        ("hepatitis", ""),  # no plural news uses
        ("a very long name of five words", ""),
    ],
)
def test_number_variant(name, other):
    assert forms.number_variant(name) == other


def test_organ_variants_swap_adjective_and_noun():
    assert forms.organ_variants("kidney disease") == ["renal disease"]
    assert forms.organ_variants("renal failure") == ["kidney failure"]
    assert forms.organ_variants("cardiac arrest") == []  # "arrest" is not a disease head
    assert forms.organ_variants("hepatic encephalopathy") == []
    assert forms.organ_variants("liver") == []


def test_disorder_variant():
    assert forms.disorder_variant("kidney disease") == "kidney disorder"
    assert forms.disorder_variant("eating disorders") == "eating diseases"
    assert forms.disorder_variant("disease") == ""


def _spec(key, *names):
    spec = EntitySpec(key=key, name=names[0])
    for name in names:
        spec.aliases[name] = AliasSpec(text=name)
    return spec


def test_add_condition_forms_adds_organ_damage_and_never_takes_another_entrys_name():
    specs = {
        "kidney": _spec("kidney", "kidney diseases", "kidney disease"),
        "liver": _spec("liver", "liver diseases"),
        "dili": _spec("dili", "chemical and drug induced liver injury", "drug induced liver injury"),
        "aki": _spec("aki", "acute kidney injury", "kidney injury"),
        "inverted": _spec("inverted", "arrhythmias, cardiac"),
    }
    specs["kidney"].aliases["ckd"] = AliasSpec(text="CKD", match_case=True)
    added = forms.add_condition_forms(specs)
    kidney, liver, dili, aki = (set(specs[k].aliases) for k in ("kidney", "liver", "dili", "aki"))
    assert {"renal disease", "renal diseases", "kidney disorder", "kidney damage", "renal impairment"} <= kidney
    assert {"nephrotoxicity", "renal toxicity", "kidney problems"} <= kidney
    assert "kidney injury" not in kidney and "kidney injury" in aki  # owned already: not taken
    assert {"liver damage", "hepatic dysfunction"} <= liver
    assert {"hepatotoxicity", "liver toxicity"} <= dili and "hepatotoxicity" not in liver  # toxicity: drug-induced
    assert set(specs["inverted"].aliases) == {"arrhythmias, cardiac"}  # inverted terms are left alone
    assert "ckds" not in kidney  # abbreviations are left alone
    assert added == sum(len(s.aliases) for s in specs.values()) - 9


# --------------------------------------------------------------------------- abbreviations


@dataclass
class _Mention:
    start: int
    end: int
    text: str


def _mentions(text, *names):
    return [_Mention(text.index(n), text.index(n) + len(n), n) for n in names]


@pytest.mark.parametrize(
    ("short", "long", "expected"),
    [
        ("AA", "alopecia areata", 9),  # the shortest long form: "areata" (its letters, word-initial A)
        ("CKD", "chronic kidney disease", 0),
        ("COPD", "chronic obstructive pulmonary disease", 0),
        ("XYZ", "chronic kidney disease", -1),
        ("KD", "chronic kidney disease", 8),  # the long form starts at "kidney"
    ],
)
def test_long_form_start(short, long, expected):
    assert abbreviations.long_form_start(short, long) == expected


def test_definitions_after_a_linked_name():
    text = "Adults with alopecia areata (AA) and chronic kidney disease (CKD; stage 3) took part. AA returned."
    found = abbreviations.definitions(text, _mentions(text, "alopecia areata", "chronic kidney disease"))
    assert set(found) == {"AA", "CKD"} and found["AA"].text == "alopecia areata"
    assert [text[s:e] for s, e in abbreviations.occurrences(text, "AA")] == ["AA", "AA"]
    assert abbreviations.occurrences(text, "AA")[0][0] == text.index("(AA)") + 1


@pytest.mark.parametrize(
    "text",
    [
        "Patients with lung carcinoma (NSCLC) enrolled.",  # letters outside the linked name
        "Patients with asthma (mild) enrolled.",  # a plain word, not a short form
        "Patients with asthma (see table 2) enrolled.",
        "Patients with HIV (HIV) enrolled.",  # repeats itself
    ],
)
def test_no_definition(text):
    name = text.split(" with ")[1].split(" (")[0]
    assert abbreviations.definitions(text, _mentions(text, name)) == {}


def test_plural_short_form_defines_the_singular():
    text = "Drug-induced dyskinesias (DIDs) were rare; one DID lasted a week."
    found = abbreviations.definitions(text, _mentions(text, "Drug-induced dyskinesias"))
    assert set(found) == {"DID"}
    assert [text[s:e] for s, e in abbreviations.occurrences(text, "DID")] == ["DIDs", "DID"]


# --------------------------------------------------------------------------- everyday words


def test_sentence_bounds():
    text = "The club lost. Patients felt pain! Fans cheered."
    start = text.index("pain")
    begin, end = everyday.sentence_bounds(text, start, start + 4)
    assert text[begin:end].rstrip("!") == "Patients felt pain"


@pytest.mark.parametrize(
    ("text", "medical"),
    [
        ("Patients reported less pain.", True),
        ("She was treated for depression last year.", True),
        ("The defeat caused pain for the fans.", False),
        ("The club lost. Patients reported pain. The fans left.", True),
        ("Patients were happy. The fans felt pain.", False),  # the cue is in another sentence
    ],
)
def test_medical_cue_in_the_sentence(text, medical):
    word = "pain" if "pain" in text else "depression"
    start = text.index(word)
    assert everyday.has_medical_cue(text, start, start + len(word)) is medical


def test_a_firm_mention_in_the_sentence_counts_as_a_cue():
    text = "Fever and a rash came first."
    assert not everyday.has_medical_cue(text, 0, 5)
    assert everyday.has_medical_cue(text, 0, 5, firm_spans=[(12, 16)])


def test_follows_a_condition_name():
    text = "migraine pain and migraine-pain but migraine, pain"
    assert everyday.follows(text, text.index("pain"), {8})
    assert everyday.follows(text, text.index("-pain") + 1, {text.index("-pain")})
    assert not everyday.follows(text, text.rindex("pain"), {text.rindex(",")})


# --------------------------------------------------------------------------- condition words around names


@pytest.mark.parametrize(
    ("text", "word", "inside"),
    [
        ("She directs the Weight Loss Research Center in Leeds.", "Weight Loss", True),
        ("He was treated at the Hospital for Spinal Injuries last year.", "Spinal Injuries", True),
        ("It appeared in the Annals of Allergy, Asthma & Immunology this week.", "Asthma", True),
        ("The American Migraine Foundation funded the work.", "Migraine", True),
        ("Migraine affects one adult in seven.", "Migraine", False),  # capitalised at a sentence start
        ("People with Asthma and Hay Fever were asked to wait.", "Asthma", False),  # no organisation word
        ("Obesity Drug Cuts Heart Attack Risk At Every Dose Studied", "Obesity", False),  # a title-case headline
        ("Patients with obesity were sent to the Mayo Clinic.", "obesity", False),
    ],
)
def test_condition_inside_an_organisations_name(text, word, inside):
    start = text.index(word)
    assert conditionrules.in_organisation_name(text, start, start + len(word)) is inside


@pytest.mark.parametrize(
    ("text", "word", "inside"),
    [
        ("Write to fever@example.com with questions.", "fever", True),
        ("See www.strokeadvice.org/help for more.", "stroke", True),
        ("Details are at https://example.org/asthma-care today.", "asthma", True),
        ("Fever and asthma were the commonest reasons.", "asthma", False),
    ],
)
def test_condition_inside_an_address(text, word, inside):
    start = text.index(word)
    assert conditionrules.in_address(text, start, start + len(word)) is inside


@pytest.mark.parametrize(
    ("text", "organs"),
    [
        ("The test finds cancers of the liver, stomach and pancreas early.", ["liver", "stomach", "pancreas"]),
        ("Rates of breast and ovarian cancer rose.", ["breast"]),
        ("It spots malignancies of the bladder, kidney or lung.", ["bladder", "kidney", "lung"]),
        ("Skin, bowel and prostate tumours were the commonest.", ["Skin", "bowel"]),
        ("Lung cancer rates fell.", []),
        ("a urine test for cancers of the renal pelvis or urinary bladder", ["renal pelvis", "urinary bladder"]),
        ("cancers of the liver and lung", ["liver", "lung"]),
        ("Rats showed liver and kidney damage.", ["liver"]),
        ("damage of the liver and kidney", []),  # "of the" lists: cancers only
        ("a rise in blood pressure and renal injury", []),  # not two organs
        ("a rare, progressive and incurable disease", []),
    ],
)
def test_coordinated_organs_share_the_cancer_word(text, organs):
    assert [organ for _, _, organ, _ in conditionrules.coordinated_organs(text)] == organs


# --------------------------------------------------------------------------- issue 11, third round


def test_carcinoma_and_closed_compound_variants():
    assert forms.carcinoma_variant("bladder cancer") == "bladder carcinoma"
    assert forms.carcinoma_variant("oesophageal cancers") == "oesophageal carcinomas"
    assert forms.carcinoma_variant("cancer") == ""  # a heading of its own (Neoplasms), not Carcinoma
    assert forms.closed_compound_variant("non small cell lung cancer") == "nonsmall cell lung cancer"
    assert forms.closed_compound_variant("non hodgkin lymphoma") == "nonhodgkin lymphoma"
    assert forms.closed_compound_variant("nonsmall cell lung cancer") == ""


def test_of_variants():
    assert forms.of_variants("hair loss") == ["loss of hair"]
    assert forms.of_variants("memory problems") == ["problems with memory"]
    assert forms.of_variants("liver cancer") == ["cancer of the liver"]
    assert forms.of_variants("lung transplant") == []  # not a disease head
    assert forms.of_variants("sudden hearing loss") == []  # two words only


def test_verb_variants_of_a_loss_or_a_trouble_with_a_body_function():
    assert forms.verb_variants("weight loss") == ["lose weight", "losing weight"]
    assert {"trouble sleeping", "difficulty sleeping"} <= set(forms.verb_variants("sleep problems"))
    assert "trouble breathing" in forms.verb_variants("breathing disorders")
    assert forms.verb_variants("ambiguous loss") == []  # not something a body loses
    assert forms.verb_variants("tooth loss") == []  # "lose tooth" is not how anyone writes it
    assert forms.verb_variants("hoarding disorder") == []  # a gerund that is not a body function
    assert forms.verb_variants("sensorineural hearing loss") == []  # two words only


def test_verb_forms_go_to_the_entry_whose_name_they_come_from():
    specs = {"sleep": _spec("sleep", "sleep wake disorders", "sleep problems"), "wl": _spec("wl", "weight loss")}
    specs["other"] = _spec("other", "insomnia", "trouble sleeping")  # owned already: not taken
    forms.add_condition_forms(specs)
    assert {"problems sleeping", "difficulty sleeping"} <= set(specs["sleep"].aliases)
    assert "trouble sleeping" not in specs["sleep"].aliases
    assert {"lose weight", "losing weight"} <= set(specs["wl"].aliases)


def test_organ_variants_of_necrosis_and_ulcers():
    assert forms.organ_variants("kidney papillary necrosis") == ["renal papillary necrosis"]
    assert forms.organ_variants("stomach ulcer") == ["gastric ulcer"]


def test_impairment_forms_only_for_body_functions():
    assert {"memory impairment", "impaired memory", "memory deficits"} <= forms.impairment_forms("memory disorders")
    assert {"visual impairment", "impaired vision"} <= forms.impairment_forms("vision disorders")
    assert forms.impairment_forms("anxiety disorders") == set()
    assert forms.impairment_forms("memory") == set()


@pytest.mark.parametrize(
    ("text", "word", "drugs", "start"),
    [
        ("Levodopa-induced dyskinesia was seen.", "dyskinesia", ["Levodopa"], 0),
        ("a case of drug-induced parkinsonism", "parkinsonism", [], 10),
        ("a cocaine psychosis", "psychosis", ["cocaine"], 2),
        ("hepatitis caused by isoniazid", "hepatitis", ["isoniazid"], 0),
        ("an allergy to the antibiotic amoxicillin", "allergy", ["amoxicillin"], 3),
        ("Exercise-induced dyskinesia", "dyskinesia", [], None),  # no drug
        ("aspirin, and dyskinesia", "dyskinesia", ["aspirin"], None),  # a list, not a cause
        ("allergy to pollen. Aspirin was given", "allergy", ["Aspirin"], None),  # another sentence
    ],
)
def test_drug_caused(text, word, drugs, start):
    spans = [(text.index(d), text.index(d) + len(d)) for d in drugs]
    at = text.index(word)
    assert conditionrules.drug_caused(text, at, at + len(word), spans) == start


def test_british_variant_of_an_ambiguous_name_is_ambiguous_too():
    spec = EntitySpec(key="site", name="Neoplasms by Site")
    spec.aliases["tumor site"] = AliasSpec(text="tumor site", is_ambiguous=True)
    spec.aliases["tumor"] = AliasSpec(text="tumor")
    spec.add_british_variants()
    assert spec.aliases["tumour site"].is_ambiguous and not spec.aliases["tumour"].is_ambiguous
