"""Institutions: the data files (articles/vocabulary/data/institutions/), the name variants made
by rule at load time, and the matcher's institution rules (context for everyday-word names, names
written as names, unknown institutions still suggested). Sentences are our own."""

import pytest

from articles.ingest.matcher import INSTITUTION, clear_matcher_cache, get_matcher
from articles.models import Institution, InstitutionKind
from articles.vocabulary import sources
from articles.vocabulary.sources import VocabularyError, institution_name_variants

# --------------------------------------------------------------------------- the data


@pytest.fixture(scope="module")
def institutions():
    return sources.read_institutions()


def test_the_data_has_every_kind_and_real_country_codes(institutions):
    assert len(institutions) >= 1500
    kinds = {spec.fields["kind"] for spec in institutions.values()}
    assert kinds == set(InstitutionKind.values)
    countries = {spec.fields["country"] for spec in institutions.values()}
    assert countries <= sources.ISO_COUNTRIES | {""}
    assert {"US", "GB", "CA", "AU", "DE", "FR", "JP", "CN", "IN", "CH"} <= countries


def test_every_file_is_read(institutions):
    files = sources.institution_files()
    assert len(files) >= 8 and all(name.startswith("institutions/") for name in files)
    names = {spec.name for spec in institutions.values()}
    assert {"Merck & Co.", "Mayo Clinic", "The Lancet", "Wellcome Trust", "Karolinska Institutet"} <= names


def test_merck_variants_come_from_the_general_rules(institutions):
    merck = institutions["merck co"]
    assert {"merck co", "merck and co", "merck sharp and dohme"} <= set(merck.aliases)
    assert merck.aliases["merck"].is_ambiguous  # also Merck KGaA's name: only in context
    assert "merck" not in institutions["merck kgaa"].aliases  # a rule-made variant two institutions share is dropped


# --------------------------------------------------------------------------- errors


def write(tmp_path, monkeypatch, files):
    folder = tmp_path / "institutions"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    monkeypatch.setattr(sources, "DATA_DIR", tmp_path)


def test_a_file_kind_is_the_default_for_its_entries(tmp_path, monkeypatch):
    write(
        tmp_path,
        monkeypatch,
        {"journals.toml": 'kind = "journal"\n[[institution]]\nname = "Acta Imaginaria"\ncountry = "SE"\n'},
    )
    spec = sources.read_institutions()["acta imaginaria"]
    assert spec.fields == {"kind": "journal", "country": "SE", "homepage": "", "ror_id": None}


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            {"a.toml": '[[institution]]\nname = "X Clinic"\nkind = "hospital"\ncountry = "UK"\n'},
            r"institutions/a.toml: 'X Clinic' has country 'UK'; give an ISO 3166-1 alpha-2 code",
        ),
        (
            {"a.toml": '[[institution]]\nname = "X Clinic"\nkind = "hospital"\n'},
            r"'X Clinic' has country None",
        ),
        (
            {"a.toml": '[[institution]]\nname = "X Clinic"\nkind = "bakery"\ncountry = "US"\n'},
            r"institutions/a.toml: 'X Clinic' has unknown kind 'bakery'",
        ),
        (
            {"a.toml": '[[institution]]\nname = "X Clinic"\nkind = "hospital"\ncountry = "US"\nsynonym = ["Y"]\n'},
            r"'X Clinic' has unknown key\(s\) synonym",
        ),
        (
            {
                "a.toml": '[[institution]]\nname = "X Clinic"\nkind = "hospital"\ncountry = "US"\n',
                "b.toml": '[[institution]]\nname = "X clinic"\nkind = "hospital"\ncountry = "US"\n',
            },
            r"institutions/b.toml: 'X clinic' is listed twice \(also in institutions/a.toml\)",
        ),
        (
            {
                "a.toml": '[[institution]]\nname = "X Clinic"\nkind = "hospital"\ncountry = "US"\n'
                'synonyms = ["X Health"]\n'
                '[[institution]]\nname = "X Health System"\nkind = "hospital"\ncountry = "US"\n'
                'synonyms = ["X Health"]\n'
            },
            r"'X Health' names both 'X Clinic' \(institutions/a.toml\) and 'X Health System'",
        ),
        ({"a.toml": "[[institution]\n"}, r"institutions/a.toml"),
    ],
    ids=["country", "no-country", "kind", "key", "twice", "shared-name", "broken-toml"],
)
def test_bad_data_is_reported_with_its_file_and_entry(tmp_path, monkeypatch, files, message):
    write(tmp_path, monkeypatch, files)
    with pytest.raises(VocabularyError, match=message):
        sources.read_institutions()


def test_a_name_two_institutions_share_as_ambiguous_is_allowed(tmp_path, monkeypatch):
    write(
        tmp_path,
        monkeypatch,
        {
            "a.toml": 'kind = "company"\n'
            '[[institution]]\nname = "Acme Pharma US"\ncountry = "US"\nsynonyms = ["Acme"]\nambiguous = ["Acme"]\n'
            '[[institution]]\nname = "Acme Pharma Europe"\ncountry = "DE"\nsynonyms = ["Acme"]\nambiguous = ["Acme"]\n'
        },
    )
    assert len(sources.read_institutions()) == 2


# --------------------------------------------------------------------------- variants by rule


@pytest.mark.parametrize(
    ("name", "company", "expected", "not_expected"),
    [
        ("Merck & Co.", True, {"Merck and Co.", "Merck"}, set()),
        ("Eli Lilly and Company", True, {"Eli Lilly", "Eli Lilly & Company"}, set()),
        ("Novartis AG", True, {"Novartis"}, set()),
        ("Teva Pharmaceutical Industries Ltd.", True, {"Teva Pharmaceutical Industries", "Teva"}, set()),
        ("Vertex Pharmaceuticals", True, {"Vertex", "Vertex Pharma"}, set()),
        ("Acme Therapeutics, Inc.", True, {"Acme Therapeutics", "Acme"}, set()),
        ("St. Jude Children's Research Hospital", False, {"Saint Jude Children's Research Hospital"}, set()),
        ("Saint Mary's Hospital", False, {"St Mary's Hospital"}, set()),
        ("The King's Fund", False, {"King's Fund"}, set()),
        # Only a company loses a business word: "Children's Oncology Group" is not "Children's Oncology".
        ("Children's Oncology Group", False, set(), {"Children's Oncology"}),
        ("Brigham and Women's Hospital", False, {"Brigham & Women's Hospital"}, set()),
        (
            "University of Texas MD Anderson Cancer Center",
            False,
            {"University of Texas M.D. Anderson Cancer Center"},
            set(),
        ),
        ("American Academy of Orthopaedic Surgeons", False, {"American Academy of Orthopedic Surgeons"}, set()),
        ("Society for Pediatric Research", False, {"Society for Paediatric Research"}, set()),
        (
            "University of California, Los Angeles",
            False,
            {"University of California at Los Angeles", "University of California Los Angeles"},
            set(),
        ),
        # Only a university's campus: a comma in another name is left alone.
        (
            "Memorial Sloan Kettering Cancer Center, New York",
            False,
            set(),
            {"Memorial Sloan Kettering Cancer Center at New York"},
        ),
    ],
)
def test_name_variants(name, company, expected, not_expected):
    variants = institution_name_variants(name, company=company)
    assert expected <= variants
    assert not variants & not_expected
    assert name not in variants


def test_abbreviations_also_match_dotted(institutions):
    fda = institutions["u s food and drug administration"]
    assert fda.aliases["f d a"].match_case  # "F.D.A.", as some outlets write it
    assert fda.aliases["f d a"].text == "F.D.A."


def test_a_one_word_variant_is_ambiguous_unless_curated(institutions):
    vertex = institutions["vertex pharmaceuticals"]
    assert vertex.aliases["vertex"].is_ambiguous  # curated as ambiguous
    karuna = institutions["karuna therapeutics"]
    assert karuna.aliases["karuna"].is_ambiguous  # made by rule from "Karuna Therapeutics"
    pfizer = institutions["pfizer"]
    assert not pfizer.aliases["pfizer"].is_ambiguous  # the curated name stays as it is


# --------------------------------------------------------------------------- matching


LOADED = [
    "Merck & Co.",
    "Merck KGaA",
    "Eli Lilly and Company",
    "Apple",
    "United Therapeutics",
    "Genesis HealthCare",
    "City of Hope",
    "Pediatrics",
    "American Medical Association",
    "Mercy",
    "Providence",
    "Nature",
    "Cell",
    "Karuna Therapeutics",
    "Massachusetts General Hospital",
    "Emory University",
    "Princeton University",
    "Alzheimer's & Dementia",
    "St. Jude Children's Research Hospital",
    "Boston Scientific",
    "JAMA",
    "Diabetes Care",
    "Dana-Farber Cancer Institute",
    "NewYork-Presbyterian Hospital",
    "Aga Khan University",
    "U.S. Food and Drug Administration",
    "University of California, Los Angeles",
    "University of Southern California",
    "Ohio State University",
    "New York University",
]


@pytest.fixture
def matcher(db, load_vocabulary_subset):
    load_vocabulary_subset(institutions=LOADED)
    clear_matcher_cache()
    yield get_matcher()
    clear_matcher_cache()


def linked(matcher, text):
    names = dict(Institution.objects.values_list("pk", "name"))
    return {names[m.entity_id] for m in matcher.match(text).mentions if m.entity_type == INSTITUTION}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Merck & Co Inc's new vaccine cut infections.", {"Merck & Co."}),
        ("Merck and Co said the trial would go on.", {"Merck & Co."}),
        ("Shares of Merck & Co., Inc. rose on Tuesday.", {"Merck & Co."}),
        ("Merck's pill cut the risk of hospital care.", {"Merck & Co."}),
        ("Drugmaker Lilly raised its forecast.", {"Eli Lilly and Company"}),
        ("The drugmaker Lilly said demand was strong.", {"Eli Lilly and Company"}),
        ("Lilly's weight-loss drug was approved.", {"Eli Lilly and Company"}),
        ("Eli Lilly & Co asked for approval.", {"Eli Lilly and Company"}),
        ("Apple Inc added an irregular rhythm alert to its watch.", {"Apple"}),
        ("United Therapeutics sells an inhaled drug.", {"United Therapeutics"}),
        ("Karuna's drug was tested in two trials.", {"Karuna Therapeutics"}),
        ("The survey was paid for by Merck.", {"Merck & Co."}),
        ("Both studies were funded by Lilly.", {"Eli Lilly and Company"}),
        ("The Karuna Therapeutics trial enrolled 250 adults.", {"Karuna Therapeutics"}),
        ("Genesis shares fell after the nursing-home operator's warning.", {"Genesis HealthCare"}),
        ("Doctors at City of Hope in California ran the study.", {"City of Hope"}),
        ("Doctors at Mercy treated the two boys.", {"Mercy"}),
        ("The results were published in Nature on Wednesday.", {"Nature"}),
        ("Researchers at Emory enrolled 40 patients.", {"Emory University"}),
        ("Princeton researchers built the model.", {"Princeton University"}),
        ("The paper appeared in the journal Alzheimer's & Dementia.", {"Alzheimer's & Dementia"}),
        ("Saint Jude Children's Research Hospital led the trial.", {"St. Jude Children's Research Hospital"}),
        ("Doctors at Mass General saw more cases.", {"Massachusetts General Hospital"}),
        ("It was reported in the journal of the American Medical Association.", {"JAMA"}),
        ("The trial appears in Diabetes Care this month.", {"Diabetes Care"}),
        ("The F.D.A. approved the drug in March.", {"U.S. Food and Drug Administration"}),
        ("The study is in the May issue of Nature.", {"Nature"}),
        ("Doctors at the University of California at Los Angeles ran it.", {"University of California, Los Angeles"}),
        # A unit inside a known institution is the institution.
        (
            "A psychologist at the University of Southern California Institute for Creative Technologies built it.",
            {"University of Southern California"},
        ),
    ],
)
def test_institutions_link_in_context(matcher, text, expected):
    assert linked(matcher, text) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text",
    [
        "An apple a day is not a cure for anything.",
        "She holds an M.P.H., M.A. and a law degree.",
        "He is a lecturer in the Department of Paediatrics at a hospital.",
        "Apple pie and custard were served at the party.",
        "Doctors in the United States prescribe more antibiotics.",
        "United fans were stuck in traffic after the match.",
        "The Genesis of the idea was a chat in a corridor.",
        "Lilly, a nurse from Leeds, said the ward was full.",
        "Merck is a surname shared by many families in Hesse.",
        "She hoped the hospice would be a city of hope for families.",
        "The judge showed mercy to the young offender.",
        "Mercy was all she asked for.",
        "Providence was on their side that night.",
        "The nature of the illness is still unclear.",
        "Each cell in the body carries the gene.",
        "People with Alzheimer's dementia need help with daily tasks.",
        "They moved from Boston to Princeton last year.",
        "Better diabetes care could save thousands of lives.",
    ],
)
def test_everyday_words_stay_unlinked(matcher, text):
    assert linked(matcher, text) == set()


def mention_counts(matcher, text):
    names = dict(Institution.objects.values_list("pk", "name"))
    found = [names[m.entity_id] for m in matcher.match(text).mentions if m.entity_type == INSTITUTION]
    return {name: found.count(name) for name in found}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A company's everyday-word name owning a drug the story names is the company.
        ("Merck's boceprevir blocks the same enzyme.", {"Merck & Co.": 1}),
        ("Both Lilly’s tirzepatide and the older shots cut weight.", {"Eli Lilly and Company": 1}),
        # One sense per story: once the text shows the company, its other mentions are the company too.
        (
            "Merck is expected to report the trial this week. Merck's pill cut the risk of hospital care.",
            {"Merck & Co.": 2},
        ),
        ("Lilly said demand was strong. Drugmaker Lilly raised its forecast.", {"Eli Lilly and Company": 2}),
        # Without such a sign anywhere, the word stays a word.
        ("Lilly, a nurse from Leeds, said the ward was full. Lilly took boceprevir.", {}),
        ("Merck is a surname. Merck said the ward was full.", {}),
    ],
)
def test_a_company_shown_once_is_the_company_throughout(db, load_vocabulary_subset, text, expected):
    load_vocabulary_subset(
        drugs=["Boceprevir", "Tirzepatide"], institutions=["Merck & Co.", "Eli Lilly and Company", "Merck KGaA"]
    )
    clear_matcher_cache()
    try:
        assert mention_counts(get_matcher(), text) == expected
    finally:
        clear_matcher_cache()


@pytest.mark.django_db
def test_a_journal_named_like_a_condition_is_the_journal(db, load_vocabulary_subset):
    load_vocabulary_subset(conditions=["Stroke", "Obesity"], institutions=["Stroke"])
    clear_matcher_cache()
    try:
        matcher = get_matcher()
        in_journal = matcher.match("The trial was published in the journal Stroke on Monday.")
        found = in_journal.mentions + in_journal.held_back
        assert {(m.entity_type, m.text) for m in found} == {(INSTITUTION, "Stroke")}
        suggested = matcher.match("It appeared in the journal Riverbend Obesity Research on Monday.")
        assert [n.name for n in suggested.new_institutions] == ["Riverbend Obesity Research"]
        assert suggested.mentions + suggested.held_back == []
        as_condition = matcher.match("She had a stroke last year and recovered.")
        assert [m.entity_type for m in as_condition.mentions + as_condition.held_back] == ["condition"]
    finally:
        clear_matcher_cache()


@pytest.mark.django_db
def test_unknown_institutions_are_still_suggested(matcher):
    result = matcher.match(
        "Patients at Riverbend University Medical Center and at Massachusetts General Hospital took part."
    )
    assert [(n.name, n.kind) for n in result.new_institutions] == [
        ("Riverbend University Medical Center", InstitutionKind.HOSPITAL)
    ]
    assert {m.text for m in result.mentions if m.entity_type == INSTITUTION} == {"Massachusetts General Hospital"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "known", "new"),
    [
        ("Doctors at Boston's Dana-Farber Cancer Institute ran it.", {"Dana-Farber Cancer Institute"}, []),
        ("She was treated at New York-Presbyterian Hospital.", {"NewYork-Presbyterian Hospital"}, []),
        # A university's hospital is another institution: suggested, the university not linked.
        ("He was treated at Aga Khan University Hospital in Karachi.", set(), ["Aga Khan University Hospital"]),
        # A school with its own name is itself, written in full; a possessive joins two names.
        (
            "A dentist at New York University College of Dentistry said so.",
            set(),
            ["New York University College of Dentistry"],
        ),
        (
            "Ohio State University's Riverbend Cancer Hospital ran it.",
            {"Ohio State University"},
            ["Riverbend Cancer Hospital"],
        ),
        # A place's possessive is not part of the name; an eponym's is.
        ("Seattle's Riverbend Health Research Institute led it.", set(), ["Riverbend Health Research Institute"]),
        (
            "The Alzheimer's Disease Research Center at Riverbend ran it.",
            set(),
            ["Alzheimer's Disease Research Center"],
        ),
        # Names run on through "of" / "for" and "&", and keep a saint.
        (
            "Staff at the Riverbend Institute for Orthopedics and Sports Medicine agreed.",
            set(),
            ["Riverbend Institute for Orthopedics and Sports Medicine"],
        ),
        ("The Newcastle Bone & Joint Institute ran it.", set(), ["Newcastle Bone & Joint Institute"]),
        ("He studied at St. Riverbend's University in Grenada.", set(), ["St. Riverbend's University"]),
        (
            "Staff at the Riverbend Institute for the Study of Aging agreed.",
            set(),
            ["Riverbend Institute for the Study of Aging"],
        ),
        (
            "Hospital Clinic of Barcelona and Riverbend University ran it.",
            set(),
            ["Hospital Clinic of Barcelona", "Riverbend University"],
        ),
        # A company by its business or legal ending, suggested without the legal ending; a known
        # company with its legal ending is the known company.
        ("California-based Riverbend Biosciences Inc. makes the test.", set(), ["Riverbend Biosciences"]),
        ("The maker, Riverbend Imaging, Inc., said so.", set(), ["Riverbend Imaging"]),
        ("Karuna Therapeutics Inc. said the trial met its goal.", {"Karuna Therapeutics"}, []),
        # Generic words alone are no name, whatever punctuation ends the sentence.
        ("It was run by Riverbend Clinics and Opinion Research Corporation. Doctors agreed.", set(), []),
        ("It was published in the Journal of Pharmacology and Experimental Therapeutics.", set(), []),
        # A title named as a journal is a journal, its words not a condition.
        ("It appeared in the journal Riverbend Obesity Research on Monday.", set(), ["Riverbend Obesity Research"]),
        # A unit named from the middle of a known name is not a new institution.
        ("Doctors at City of Hope Comprehensive Cancer Center treated her.", {"City of Hope"}, []),
    ],
)
def test_known_names_written_longer(matcher, text, known, new):
    result = matcher.match(text)
    assert linked(matcher, text) == known
    assert [n.name for n in result.new_institutions] == new
