"""Find the conditions, drugs, institutions and drug classes an article mentions.

One Aho-Corasick automaton (pyahocorasick) holds every alias in the database, keyed by
its normalised form (``articles.text.normalize``: so "Alzheimer's", "ALZHEIMER’S" and
"polycythaemia" meet their aliases). The article is normalised the same way and scanned
once; every match is padded with spaces on both sides, so only whole words match.
Overlapping matches are resolved leftmost-longest ("alopecia areata" beats
"alopecia"), and then the rules below decide what each winning span links to.

Rules (each tested in tests/test_ingest_matcher.py):
- abbreviations flagged ``match_case`` link only in exactly that case ("HIV", not "hiv");
- brand names link only when capitalised ("Jakafi", not "jakafi" — brands are names);
- aliases flagged ``is_ambiguous`` and the curated false friends (``data/false_friends.toml``)
  never link on their own; they still take part in longest-match, so "a stroke of luck" or
  "goals" swallow the word and nothing inside links;
- ambiguous institution names ("Nature", "Cell", "Columbia", "Lilly") link only in context:
  "published in Nature", "the journal Cell", "Columbia researchers", and for a company what a
  company is or does ("drugmaker Lilly", "Apple Inc", "Merck's vaccine", "Vertex shares"), or
  a drug the text names that it owns ("Merck's boceprevir"); once shown in context, the name
  links at its other places in the same text too (one sense per story);
- an institution's name links only written as a name: capitalised when its alias is
  ("City of Hope", not "a city of hope");
- names from the vocabulary packages that are MeSH-style inverted entry terms ("pain, back"),
  shorter than four letters, or start with a function word ("her disease") are left out:
  news never writes them, and they match ordinary phrases; curated aliases are always kept;
- MeSH descriptors outside the disease trees (behaviour, social, health-care descriptors such
  as "Family Support" or "Decision Making") are not linked unless curated;
- when one name belongs to several entities of a type, an editor's or the supplement's alias
  wins over the package's ("anorexia" → Anorexia Nervosa), then the entity whose own name it
  is; if that still leaves several, nothing is linked (a wrong link is worse than none);
- "seizure(s) of …" (goods) and title-case "Aids" at the start of a sentence are not linked;
- everyday words that are conditions (``context_words`` in ``data/false_friends.toml``: "pain",
  "depression", "stroke") link only in a medical sentence or story (``everyday.py``);
- an abbreviation the story defines right after a linked name ("chronic kidney disease (CKD)")
  links to that entity everywhere in the story, in exactly that case (``abbreviations.py``);
- unknown institutions are found by their shape ("… University Medical Center",
  "… Hospital", "… Institute", "University of …") and returned as new ones to suggest, unless
  the shape is a known name with a possessive place before it ("Boston's Dana-Farber Cancer
  Institute") or a known hospital's with generic hospital words after it ("New York-Presbyterian
  Hospital"; but "Aga Khan University Hospital" is not the university);
- a drug class's name ("statins", "GLP-1 drugs") links the class, not the drug-package
  entry of the same name (the package lists classes as drugs: "Benzodiazepines"); and a
  class name does not hide what it names inside it: "diabetes drugs" links the class and
  the condition, "HIV medications" the class and HIV (never a narrower class inside a broader
  one's name: "inhaled corticosteroids" is not also "corticosteroids").

The automaton is built once per process and rebuilt when the alias tables change
(``get_matcher`` compares a cheap fingerprint: row counts, highest ids and highest history
ids of the alias tables).
"""

import dataclasses
import itertools
import re
import threading
import time
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import ahocorasick
from django.db.models import Count, Max, Q

from ..models import (
    Condition,
    ConditionAlias,
    ConditionTreeNumber,
    Drug,
    DrugAlias,
    DrugClassAlias,
    Institution,
    InstitutionAlias,
    InstitutionKind,
    Origin,
)
from ..text import normalize, normalize_with_offsets
from . import abbreviations, conditionrules, everyday

DATA_DIR = Path(__file__).resolve().parent / "data"
CONDITION, DRUG, INSTITUTION, DRUG_CLASS = "condition", "drug", "institution", "drug_class"
ENTITY_TYPES = (CONDITION, DRUG, INSTITUTION, DRUG_CLASS)
ALIAS_TABLES = (
    (CONDITION, ConditionAlias),
    (DRUG, DrugAlias),
    (INSTITUTION, InstitutionAlias),
    (DRUG_CLASS, DrugClassAlias),
)
CURATED_ORIGINS = {Origin.EDITOR, Origin.SUPPLEMENT, Origin.AUTO}
# MeSH trees that hold diseases, disorders and symptoms (C) and mental disorders (F03).
DISEASE_TREES = ("C", "F03")
FUNCTION_WORDS = frozenset([
    "a", "an", "the", "her", "his", "its", "their", "our", "my", "your", "this", "that", "these", "those",
    "more", "most", "all", "only", "no", "not", "any", "some", "each", "every", "other", "such", "own",
    "same", "very",
])  # fmt: skip
STOP = "stop"  # a false friend or ambiguous word: wins its span, links nothing


@dataclass(frozen=True)
class Candidate:
    """One entity a normalised name may stand for."""

    entity_type: str
    entity_id: int
    text: str
    match_case: bool = False
    is_brand: bool = False
    curated: bool = False
    is_name: bool = False
    needs_context: bool = False  # an ambiguous institution name ("Nature")
    kind: str = ""  # institution kind
    everyday: bool = False  # an everyday word ("pain"): links only in medical context

    @property
    def rank(self):
        """Lower is preferred when a name belongs to several entities."""
        return (0 if self.curated else 1, 0 if self.is_name else 1)


@dataclass
class Mention:
    """One linked occurrence in a text."""

    entity_type: str
    entity_id: int
    start: int  # offsets into the original text
    end: int
    text: str
    candidate: Candidate
    contested: bool = False  # several entities shared the name; a curated one won


@dataclass
class NewInstitution:
    """An institution the vocabulary does not know, found by the shape of its name."""

    name: str
    kind: str
    start: int
    end: int


@dataclass
class MatchResult:
    mentions: list = field(default_factory=list)
    new_institutions: list = field(default_factory=list)
    held_back: list = field(default_factory=list)  # everyday words without a medical cue in their sentence
    abbreviations: dict = field(default_factory=dict)  # short form -> the Mention it abbreviates


def load_vetoes(path=DATA_DIR / "false_friends.toml"):
    """{normalised name: {before, after, after_name}} from the [[veto]] tables."""
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    vetoes = {}
    for rule in data.get("veto", []):
        vetoes[normalize(rule["name"])] = {
            "before": re.compile(rf"\b(?:{rule['before']})\s+$", re.IGNORECASE) if rule.get("before") else None,
            "after": re.compile(rf"^\W{{0,2}}\s*(?:{rule['after']})\b", re.IGNORECASE) if rule.get("after") else None,
            "after_name": bool(rule.get("after_name")),
        }
    return vetoes


def load_false_friends(path=DATA_DIR / "false_friends.toml"):
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    return {normalize(w) for w in data.get("words", [])}, {normalize(p) for p in data.get("phrases", [])}


def load_context_words(path=DATA_DIR / "false_friends.toml"):
    """Everyday words that are conditions, linked only in medical context (``everyday.py``)."""
    with open(path, "rb") as fh:
        return {normalize(w) for w in tomllib.load(fh).get("context_words", [])}


def _letters(text):
    return sum(1 for c in text if c.isalpha())


def _alnum(text):
    return "".join(c for c in text if c.isalnum())


def skip_reason(normalized, text, *, kind, curated, match_case):
    """Why a package alias is left out of matching ('' to keep it)."""
    if curated or match_case:
        return ""
    if "," in text and kind != "name":
        return "inverted entry term"
    if _letters(normalized) < 4:
        return "shorter than four letters"
    if normalized.split(" ", 1)[0] in FUNCTION_WORDS:
        return "starts with a function word"
    return ""


# --------------------------------------------------------------------------- context

_SENTENCE_END = re.compile(r"[.!?:;\"”)\]]\s*$|^\s*$")
_JOURNAL_BEFORE = re.compile(
    r"\b(?:published|publishing|appears?|appeared|reported|writing|write|wrote|report|paper|study|"
    r"studies|findings|research|article|letter|journal|journals)\b[^.;]{0,40}\b(?:in|to)\s+(?:the\s+)?"
    r"(?:journal\s+|medical\s+journal\s+)?$|\bjournal\s+$|\b(?:issue|edition)\s+of\s+(?:the\s+)?(?:journal\s+)?$",
    re.IGNORECASE,
)
_JOURNAL_AFTER = re.compile(r"^\W{0,3}\s*(?:journal|paper|study|article)\b", re.IGNORECASE)
_INSTITUTION_BEFORE = re.compile(
    r"\b(?:researchers?|scientists?|doctors?|team|professor|prof|academics?|experts?|colleagues|"
    r"investigators|study|trial|university)\s+(?:at|from|of|in)\s+(?:the\s+)?$"
    r"|\b(?:made|developed|sold|marketed|owned|produced|manufactured)(?:\s+as\s+\S+)?\s+by\s+$",
    re.IGNORECASE,
)
_INSTITUTION_AFTER = re.compile(
    r"^\W{0,2}\s*(?:researchers?|scientists?|team|study|trial|academics?|professor|doctors|"
    r"spokes(?:man|woman|person)|said|says)\b",
    re.IGNORECASE,
)
_GOODS_AFTER = re.compile(r"^\s+of\b", re.IGNORECASE)
_PLAIN_CAPITALISED = {"The", "A", "An", "His", "Her", "Their", "My", "Our", "High", "Mild", "Severe", "Low", "No"}
_JOURNAL_OF_BEFORE = re.compile(r"\bJournal\s+of\s+(?:the\s+)?$")
# Drug-package entries that are biology, classes or dosage forms, not medicines a story names:
# "tau Proteins", "Janus Kinases", "Vasodilator Agents", "Cystic Fibrosis Transmembrane Conductance
# Regulator", "Immunoconjugates" ("antibody-drug conjugate"), "Nasal Sprays", MeSH classes written
# "Analgesics, Opioid" ("opioid") or "Antibodies, Monoclonal". Curated entries are kept.
NOT_A_MEDICINE = re.compile(
    r"\b(?:proteins?|kinases?|receptors?|autoantibodies|enzymes?|hemoglobins?|peptides?|genes?|antigens?|"
    r"agents|prophylaxis|therapy|inhibitors|products|\w+ases|regulators?|immunoconjugates|sprays|solutions|"
    r"implants|preparations)$|^receptors?\b|^(?:analgesics|anesthetics|antibiotics|antibodies|antigens|"
    r"antimetabolites|adjuvants|diuretics),",
    re.IGNORECASE,
)


def at_sentence_start(text, start):
    return bool(_SENTENCE_END.search(text[max(0, start - 3) : start]))


# A company named by a word that is also an everyday word, a place or a person ("Lilly", "Merck",
# "Apple", "Vertex", "Genesis"): its legal ending, its ticker, what a company does or owns.
_COMPANY_BEFORE = re.compile(
    r"\b(?:drug\s*makers?|drug\s+compan(?:y|ies)|pharmaceutical\s+(?:company|companies|firm|firms|giant|group|maker)|"
    r"pharma\s+(?:company|companies|firm|giant)|biotech(?:nology)?(?:\s+(?:company|companies|firm))?|"
    r"vaccine\s*makers?|device\s*makers?|rivals?|insurers?|shares\s+(?:of|in)|acquired\s+by|bought\s+by|"
    r"licensed\s+(?:to|from)|partnered\s+with|(?:paid\s+for|sponsored|funded|financed|backed)\s+by|"
    r"(?:made|developed|sold|marketed|owned|produced|manufactured)(?:\s+as\s+\S+)?\s+by|"
    r"(?:researchers?|scientists?|executives?|officials?|employees?)\s+(?:at|from)|(?:work|works|worked)\s+for)\s+$",
    re.IGNORECASE,
)
_COMPANY_AFTER = re.compile(
    r"^(?:\s*,?\s*(?:Inc|Corp|Co|plc|PLC|Ltd|AG|SA|NV|SE|GmbH|LLC|KGaA|A/S|Holdings)\b"
    r"|\s+(?:&|and)\s+Co\b"
    r"|\s*\(\s*(?:NYSE|NASDAQ|Nasdaq|LSE|LON|ASX|TSX|SIX|OTC|ticker)\b"
    r"|\s*\(?(?-i:[A-Z]{1,5}\.[A-Z]{1,2})\b"  # a Reuters code: "Elan (ELN.I)", "Pfizer (PFE.N)"
    r"|['’]s?\s+(?:[\w-]+\s+){0,3}?(?:drugs?|vaccines?|pills?|medicines?|medications?|treatments?|therap(?:y|ies)|"
    r"shots?|injections?|jabs?|trials?|products?|devices?|insulins?|shares|stock|chief|executives?|CEO|"
    r"experimental|candidate|antibod(?:y|ies)|tests?|portfolio|pipeline|subsidiary)\b"
    r"|\W{0,2}\s*(?:shares|stock|stocks|executives?|chief\s+executive|CEO|spokes(?:man|woman|person)|"
    r"makes|developed|develops|manufactures|markets|sells|recalled|priced|licensed|acquired|bought|"
    r"agreed\s+to\s+(?:buy|pay|acquire)|is\s+developing|has\s+developed|filed\s+for|won\s+approval)\b)",
    re.IGNORECASE,
)


def institution_in_context(text, start, end, candidate):
    """May an ambiguous institution name ("Nature", "Columbia", "Lilly") link here?"""
    if not text[start : start + 1].isupper():
        return False
    before, after = text[max(0, start - 80) : start], text[end : end + 40]
    if candidate.kind == InstitutionKind.JOURNAL:
        return bool(_JOURNAL_BEFORE.search(before) or _JOURNAL_AFTER.search(after))
    if candidate.kind == InstitutionKind.COMPANY:
        # Not "researchers in ..." or "... said": "doctors in the United States", "Genesis says".
        return company_in_context(before, after)
    return bool(_INSTITUTION_BEFORE.search(before) or _INSTITUTION_AFTER.search(after))


def company_in_context(before, after):
    """Does the text around a company's everyday-word name show the company ("drugmaker Lilly",
    "Apple Inc", "Merck's vaccine", "Vertex shares")?"""
    return bool(_COMPANY_BEFORE.search(before[-60:]) or _COMPANY_AFTER.match(after))


# "in the New England Journal of Medicine"; "the journal of the American Medical Association".
_LEADING_THE = re.compile(r"^(?:the\s+)?(?:journal\s+(?=of\b))?", re.IGNORECASE)


def institution_written_as_name(candidate, span):
    """An institution's name links where it is written as a name: capitalised when the alias is
    ("City of Hope", not "a city of hope"; "Mercy Health", not "mercy health"). A leading "the" and
    "journal of" may be lower case; aliases written in lower case ("eLife", "medRxiv", "bluebird
    bio") are matched as they come."""
    alias, written = _LEADING_THE.sub("", candidate.text), _LEADING_THE.sub("", span)
    return not alias[:1].isupper() or written[:1].isupper() or written[:1].isdigit()


# --------------------------------------------------------------------------- unknown institutions

_CAP = r"[A-Z][A-Za-z'’\-]+"
_SUFFIX = (
    r"(?:University\s+Medical\s+Cent(?:er|re)|Medical\s+Cent(?:er|re)|Cancer\s+Cent(?:er|re)|"
    r"Research\s+(?:Cent(?:er|re)|Institute)|Children['’]s\s+Hospital|Hospitals?|Infirmary|Institute|"
    r"University|Clinic|School\s+of\s+Medicine|Medical\s+School|Health\s+System)"
)
_SAINT = r"(?:(?:St\.?|Saint)\s+)?"  # "St. George's University": the saint is part of the name
# What a name may go on with: "Institute for Orthopedics and Sports Medicine", "University of
# Pennsylvania School of Medicine", "New York University College of Dentistry".
_OF_PART = rf"\s+(?:of|for)\s+(?:the\s+)?{_CAP}(?:\s+(?:(?:and|&|of)\s+)?{_CAP}){{0,4}}"
_SCHOOL_PART = rf"\s+(?:School|College|Faculty)\s+of\s+(?:the\s+)?{_CAP}(?:\s+(?:and\s+)?{_CAP}){{0,3}}"
# A company by its business or legal ending ("Acme Pharmaceuticals", "Acme Therapeutics Inc.").
_COMPANY_SUFFIX = (
    r"(?:Pharmaceuticals?|Pharma|Therapeutics|Biosciences|Biopharma(?:ceuticals)?|Biotherapeutics|Biologics)"
)
_LEGAL_ENDING = r"(?:Inc|Corp|Corporation|Ltd|LLC|plc)\b\.?"
_COMPANY_NAME = (
    rf"(?:{_CAP}\s+){{0,2}}{_CAP}(?:\s+{_COMPANY_SUFFIX}\b)?,?\s+{_LEGAL_ENDING}"
    rf"|(?:{_CAP}\s+){{1,2}}{_COMPANY_SUFFIX}\b"
)
_COMPANY_NAME_RE = re.compile(rf"(?:{_COMPANY_NAME})")
_LEGAL_ENDING_RE = re.compile(rf"(?:,?\s+(?:{_COMPANY_SUFFIX}|{_LEGAL_ENDING}))+\.?")
_UNKNOWN_INSTITUTION_RE = re.compile(
    rf"\b{_SAINT}(?:{_CAP}\s+(?:&\s+)?){{1,5}}{_SUFFIX}\b(?:{_SCHOOL_PART}|{_OF_PART})?"
    rf"|(?<!of\s)(?<!and\s)(?<!&\s)\b(?:{_COMPANY_NAME})"  # not a journal's "... of Experimental Therapeutics"
    rf"|\b{_SAINT}(?:{_CAP}\s+){{0,3}}(?:University|Institute|Hospital)\s+(?:of|for)\s+(?:the\s+)?{_CAP}"
    rf"(?:\s+(?:and\s+)?(?!(?:School|College|Faculty)\s+of\b){_CAP}){{0,3}}(?:{_SCHOOL_PART})?"
)
# Possessives that belong to a name ("Children's Hospital"); any other possessive joins two names
# ("Ohio State University's James Cancer Hospital") or a place and a name ("Seattle's ...").
_NAME_POSSESSIVES = frozenset(["children's", "children’s", "women's", "women’s", "men's", "men’s", "people's"])
_POSSESSIVE = re.compile(r"['’]s$")
_GENERIC_WORDS = frozenset([
    "the", "a", "national", "general", "university", "medical", "children's", "children’s", "research",
    "cancer", "state", "royal", "central", "regional", "city", "county", "community", "memorial", "teaching",
    "district", "public", "health", "institute", "center", "centre", "hospital", "hospitals", "clinic",
    "school", "of", "for", "and", "new", "international", "global", "federal", "department", "medicine",
    "pharmaceuticals", "pharmaceutical", "pharma", "therapeutics", "biosciences", "biopharma", "biopharmaceuticals",
    "biotherapeutics", "biologics", "inc", "inc.", "corp", "corp.", "corporation", "ltd", "ltd.", "llc", "plc",
    "technologies", "technology", "diagnostics", "labs", "laboratories", "imaging", "consulting", "enterprises",
    "services", "products", "sciences", "systems", "solutions", "group", "holdings", "communications", "children",
])  # fmt: skip
_LEADING_NOISE = frozenset([
    "The", "A", "An", "Yesterday", "Today", "Last", "On", "In", "At", "But", "And", "Now", "Meanwhile",
    "However", "Doctors", "Researchers", "Scientists", "Experts", "Staff", "Patients", "Officials", "Both",
    "When", "While", "After", "Before", "Since", "Dr", "Prof", "Professor", "Mr", "Mrs", "Ms",
    "About", "Among", "As", "From", "With", "By", "For", "Of", "SOURCE", "Source", "Best",
    "Drugmaker", "Drugmakers", "Biotech", "Rival", "Analysts", "Investors", "Shares", "Monday", "Tuesday",
    "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
])  # fmt: skip
# Words that end a shaped name where they follow it: "University of Oxford Professor Jane Doe".
_TRAILING_NOISE = frozenset(["Professor", "Prof", "Dr", "Researchers", "Scientists", "Email", "Telephone", "With",
                             "Press", "About", "Among", "And", "SOURCE"])  # fmt: skip


def _institution_kind(name):
    if _COMPANY_NAME_RE.fullmatch(name):
        return InstitutionKind.COMPANY
    lowered = name.lower()
    if any(word in lowered for word in ("hospital", "infirmary", "medical center", "medical centre", "clinic")):
        return InstitutionKind.HOSPITAL
    if "institute" in lowered or "research cent" in lowered:
        return InstitutionKind.RESEARCH_INSTITUTE
    return InstitutionKind.UNIVERSITY


# Words that make a known hospital's name longer without naming another institution
# ("New York-Presbyterian Hospital", "Cedars-Sinai Medical Center"). After a university they do
# name another one ("Aga Khan University Hospital"), so they count only after a hospital.
_LONGER_HOSPITAL_WORDS = frozenset(["hospital", "hospitals", "medical", "center", "centre", "health", "system"])
_POSSESSIVE_WORD = re.compile(r"^[A-Z][\w.-]*['’]s$")  # "Boston's Dana-Farber Cancer Institute"


# A unit inside an institution ("University of Southern California Institute for Creative
# Technologies", "Cedars-Sinai Heart Institute") is the institution; a school or hospital with its
# own name is not a unit ("New York University College of Dentistry", "Aga Khan University Hospital").
_UNIT_WORDS = frozenset(["center", "centre", "institute", "department", "division", "program", "programme",
                         "laboratory", "laboratories", "lab", "unit"])  # fmt: skip
_OWN_NAME_WORDS = frozenset(["hospital", "hospitals", "medical", "school", "college", "faculty", "clinic", "health"])


def _a_unit_of(words):
    lowered = [w.lower() for w in words]
    unit = lowered and (lowered[0] in _UNIT_WORDS or lowered[-1] in _UNIT_WORDS)
    return bool(unit) and not _OWN_NAME_WORDS & set(lowered)


def known_institution_written_longer(text, start, end, inner):
    """Is an institution-shaped name a known institution's name with only a possessive place
    before it, a known hospital's with only generic hospital words after it, or a unit inside a
    known institution, or a known company's name with its legal ending ("Amgen Inc")? Then the
    known link stays and nothing new is suggested."""
    companies = [m for m in inner if m.candidate.kind == InstitutionKind.COMPANY]
    if len(companies) == 1 and companies[0].start == start and _LEGAL_ENDING_RE.fullmatch(text[companies[0].end : end]):
        return True
    known = [m for m in inner if not m.candidate.needs_context]
    if not known:
        return False
    hospital = all(m.candidate.kind == InstitutionKind.HOSPITAL for m in known)
    rest, position = [], start
    for mention in sorted(known, key=lambda m: m.start):
        rest.append(text[position : mention.start])
        position = mention.end
    rest.append(text[position:end])
    before = " ".join(rest[:-1]).split()
    if all(_POSSESSIVE_WORD.match(w) or w.lower() == "the" for w in before) and _a_unit_of(rest[-1].split()):
        return True
    words = " ".join(rest).split()
    return all(
        _POSSESSIVE_WORD.match(w) or w.lower() == "the" or (hospital and w.lower() in _LONGER_HOSPITAL_WORDS)
        for w in words
    )


def _split_at_possessives(text, start, words):
    """(start, words) parts of a shaped name, cut after each possessive that is not part of a name:
    "Ohio State University's James Cancer Hospital" is two names, "Seattle's Group Health Research
    Institute" a place and a name; and at an "and" between two shaped names ("Hospital Clinic of
    Barcelona and Riverbend University"). A part keeps its place only if it has an institution's shape."""
    parts, current = [], []
    for index, word in enumerate(words):
        if word == "and" and current and _joins_two_names(current, words[index + 1 :]):
            parts.append(current)
            current = []
            continue
        current.append(word)
        saint = index > 0 and words[index - 1].rstrip(".") in ("St", "Saint")
        last = index == len(words) - 1
        eponym = not last and words[index + 1].lower() in ("disease", "diseases", "syndrome")  # "Alzheimer's Disease"
        if _POSSESSIVE.search(word) and not last and word.lower() not in _NAME_POSSESSIVES and not saint and not eponym:
            current[-1] = _POSSESSIVE.sub("", word)
            parts.append(current)
            current = []
    parts.append(current)
    if len(parts) == 1:
        return [(start, words)]
    kept, position = [], start
    for part in parts:
        part_start = text.index(part[0], position)
        position = _end_of(text, part_start, part)
        if _UNKNOWN_INSTITUTION_RE.fullmatch(" ".join(part)):
            kept.append((part_start, part))
    return kept


def _joins_two_names(left, right):
    return bool(_UNKNOWN_INSTITUTION_RE.fullmatch(" ".join(left)) and _UNKNOWN_INSTITUTION_RE.search(" ".join(right)))


_BASED = re.compile(r"-(?:based|backed|owned)$")  # "California-based Acme Biosciences"


def find_unknown_institutions(text):
    """(name, kind, start, end) for institution-shaped names in `text`."""
    found = []
    for match in _UNKNOWN_INSTITUTION_RE.finditer(text):
        start, name = match.start(), match.group()
        words = name.split()
        while words and (words[0].rstrip(".") in _LEADING_NOISE or _BASED.search(words[0])):
            start = text.index(words[1], start + len(words[0])) if len(words) > 1 else start
            words = words[1:]
        if any(w in _TRAILING_NOISE for w in words[1:]):
            words = words[: next(i for i, w in enumerate(words) if i and w in _TRAILING_NOISE)]
        if words and words[-1].lower() not in _NAME_POSSESSIVES:
            words[-1] = _POSSESSIVE.sub("", words[-1])  # "University of Pennsylvania Health System's"
        for part_start, part in _split_at_possessives(text, start, words):
            name = " ".join(part)
            # "Research Corporation." at a sentence's end is as generic as without the full stop.
            distinctive = [w for w in part if w[:1].isupper() and w.lower().rstrip(".,;:") not in _GENERIC_WORDS]
            if not distinctive:
                continue
            kind = _institution_kind(name)
            if kind == InstitutionKind.COMPANY:  # "Acme Inc." is Acme
                name = re.sub(rf",?\s+{_LEGAL_ENDING}$", "", name) or name
            found.append((name, kind, part_start, _end_of(text, part_start, part)))
    for match in _JOURNAL_TITLE_RE.finditer(text):
        words = match.group("title").split()
        while words and words[-1] in _DATE_WORDS:
            words = words[:-1]
        while words and words[-1] in ("of", "and", "&", "in", "for", "the"):
            words = words[:-1]
        if words and not any(start <= match.start("title") < end for _, _, start, end in found):
            found.append(
                (
                    " ".join(words),
                    InstitutionKind.JOURNAL,
                    match.start("title"),
                    _end_of(text, match.start("title"), words),
                )
            )
    return found


# "in the journal Acme Medicine": a title named as a journal is a journal.
_JOURNAL_TITLE_RE = re.compile(
    rf"\b[Tt]he\s+(?:(?:medical|scientific|peer-reviewed|British|American)\s+)?journal\s+"
    rf"(?P<title>{_CAP}(?:[ ]+(?:(?:of|and|&|in|for|the)[ ]+)?{_CAP}){{0,6}})"
)
_DATE_WORDS = frozenset([
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January", "February", "March",
    "April", "May", "June", "July", "August", "September", "October", "November", "December", "Jan", "Feb", "Aug",
    "Sept", "Sep", "Oct", "Nov", "Dec", "Online", "This", "Today",
])  # fmt: skip


def _end_of(text, start, words):
    """Where `words` (written from `start`, any spaces between them, a possessive dropped) end in `text`."""
    position = start
    for word in words:
        position = text.index(word, position) + len(word)
    return position


# --------------------------------------------------------------------------- the matcher


class Matcher:
    """Every alias of every entity in one automaton. Build with Matcher.build()."""

    def __init__(self, automaton, *, fingerprint=None, stats=None, vetoes=None, ingredients=None):
        self.automaton = automaton
        self.vetoes = vetoes or {}
        self.fingerprint = fingerprint
        self.stats = stats or {}
        self.ingredients = ingredients or {}  # combination drug id -> (ingredient drug ids)
        self.neoplasms = (None, frozenset())  # (Neoplasms' id, ids of specific neoplasms): Linker
        self.drug_induced = {}  # general condition id -> Candidate of its drug-induced heading
        self.keep_general = frozenset()  # general headings linked beside their drug-induced one

    # ----------------------------------------------------------------- building

    @classmethod
    def build(cls):
        started = time.perf_counter()
        false_words, false_phrases = load_false_friends()
        context_words = load_context_words()
        false_words -= context_words
        linkable_conditions = _linkable_condition_ids()
        not_medicines = {pk for pk, name in Drug.objects.values_list("pk", "name") if NOT_A_MEDICINE.search(name)}
        vetoes = load_vetoes()
        entries = defaultdict(list)
        skipped = defaultdict(int)
        for entity_type, alias_model in ALIAS_TABLES:
            fk = f"{alias_model.entity_field}_id"
            kind_of = {}
            if entity_type == INSTITUTION:
                kind_of = dict(Institution.objects.values_list("pk", "kind"))
            rows = alias_model.objects.values_list(
                "normalized", "text", fk, "kind", "is_brand", "match_case", "is_ambiguous", "origin"
            )
            for normalized, text, entity_id, kind, is_brand, match_case, is_ambiguous, origin in rows.iterator(
                chunk_size=5000
            ):
                curated = origin in CURATED_ORIGINS
                if entity_type == CONDITION and not curated and entity_id not in linkable_conditions:
                    skipped["not a disease descriptor"] += 1
                    continue
                if entity_type == DRUG and not curated and entity_id in not_medicines:
                    skipped["biology or a class, not a medicine"] += 1
                    continue
                if is_ambiguous and match_case:
                    # An everyday word whose capitals make it an abbreviation ("aids" / "AIDS").
                    entries[normalized].append(Candidate(entity_type, entity_id, text.upper(), match_case=True))
                    continue
                if is_ambiguous:
                    if entity_type == CONDITION and normalized in context_words:
                        entries[normalized].append(Candidate(entity_type, entity_id, text, curated=True, everyday=True))
                    elif entity_type == INSTITUTION:
                        entries[normalized].append(
                            Candidate(entity_type, entity_id, text, needs_context=True, kind=kind_of.get(entity_id, ""))
                        )
                    else:
                        entries.setdefault(normalized, [])  # a stop word unless something else claims it
                    continue
                reason = skip_reason(normalized, text, kind=kind, curated=curated, match_case=match_case)
                if reason:
                    skipped[reason] += 1
                    continue
                entries[normalized].append(
                    Candidate(
                        entity_type,
                        entity_id,
                        text,
                        match_case=match_case,
                        is_brand=is_brand,
                        curated=curated,
                        is_name=kind == "name",
                        kind=kind_of.get(entity_id, ""),
                        everyday=entity_type == CONDITION and normalized in context_words and not match_case,
                    )
                )
        automaton = ahocorasick.Automaton()
        for normalized, candidates in entries.items():
            if normalized in false_words:
                candidates = [c for c in candidates if c.match_case]  # "ACE" the abbreviation may stay
            automaton.add_word(f" {normalized} ", (normalized, tuple(candidates) or STOP))
        for phrase in false_phrases:
            automaton.add_word(f" {phrase} ", (phrase, STOP))
        for word in false_words - entries.keys():
            automaton.add_word(f" {word} ", (word, STOP))
        automaton.make_automaton()
        stats = {
            "names": len(entries),
            "seconds": time.perf_counter() - started,
            "skipped": dict(skipped),
        }
        matcher = cls(automaton, fingerprint=alias_fingerprint(), stats=stats, ingredients=drug_ingredients())
        matcher.vetoes = vetoes
        matcher.neoplasms = _neoplasm_ids()
        matcher.drug_induced, matcher.keep_general = _drug_induced_ids()
        return matcher

    def add_alias(self, entity_type, entity_id, text, **flags):
        """Teach a built matcher one more alias (an institution the import just created)."""
        normalized = normalize(text)
        existing = self.automaton.get(f" {normalized} ", None)
        candidates = existing[1] if existing and existing[1] != STOP else ()
        candidate = Candidate(entity_type, entity_id, text, curated=True, is_name=True, **flags)
        self.automaton.add_word(f" {normalized} ", (normalized, (*candidates, candidate)))
        self.automaton.make_automaton()
        self.fingerprint = alias_fingerprint()

    # ----------------------------------------------------------------- matching

    def spans(self, text):
        """Leftmost-longest automaton matches: (start, end, value) in normalised offsets."""
        normalized, offsets = normalize_with_offsets(text)
        found = []
        for end_index, value in self.automaton.iter(f" {normalized} "):
            key_length = len(value[0])
            start = end_index - key_length - 1  # the padded text is one longer at the front
            found.append((start, start + key_length, value))
        found.sort(key=lambda item: (item[0], -(item[1] - item[0])))
        chosen, last_end = [], -1
        for index, (start, end, value) in enumerate(found):
            if start > last_end:
                chosen.append((offsets[start], offsets[end - 1] + 1, value))
                if _names_a_class(value):
                    chosen.extend(_inside_class_name(found, index, offsets))
                last_end = end
        return chosen

    def match(self, text, *, defined=None):
        """MatchResult for one text (title or body). `defined`: abbreviations the story defined
        elsewhere ({short form: Mention}, from the body's MatchResult)."""
        result = MatchResult()
        known_institution_spans, unconfirmed = [], []
        for start, end, (_, candidates) in self.spans(text):
            if candidates == STOP:
                continue
            span = text[start:end]
            if self._vetoed(normalize(span), text, start, end):
                continue
            allowed = [c for c in candidates if self._allowed(c, text, start, end, span)]
            if not allowed:
                unconfirmed.extend(self._awaiting_context(candidates, text, start, end, span))
            by_type = defaultdict(list)
            for candidate in allowed:
                by_type[candidate.entity_type].append(candidate)
            if DRUG_CLASS in by_type:
                by_type.pop(DRUG, None)  # "statins" is the class, not the package's class-as-drug entry
            for entity_type, options in by_type.items():
                best_rank = min(c.rank for c in options)
                best = {c.entity_id: c for c in options if c.rank == best_rank}
                if len(best) != 1:
                    continue  # several entities share the name equally: do not guess
                candidate = next(iter(best.values()))
                contested = len({c.entity_id for c in options}) > 1
                mention = Mention(entity_type, candidate.entity_id, start, end, span, candidate, contested=contested)
                (result.held_back if candidate.everyday else result.mentions).append(mention)
                if entity_type == INSTITUTION:
                    known_institution_spans.append((start, end))
            if any(c.entity_type == INSTITUTION for c in candidates):
                known_institution_spans.append((start, end))
        self._drop_conditions_in_names(text, result)
        self._add_coordinated_cancers(text, result)
        self._apply_drug_induced(text, result)
        self._resolve_everyday_words(text, result)
        self._apply_abbreviations(text, result, defined or {})
        self._confirm_in_discourse(text, result, unconfirmed)
        for name, kind, start, end in find_unknown_institutions(text):
            if any(s <= start and end <= e for s, e in known_institution_spans):
                continue  # the vocabulary knows it (or a longer name containing it)
            if any(s < start < e for s, e in known_institution_spans):
                continue  # "City of Hope Comprehensive Cancer Center": a known name's unit, cut in its middle
            known = self.automaton.get(f" {normalize(name)} ", None)
            if known and known[1] != STOP and any(c.entity_type == INSTITUTION for c in known[1]):
                continue
            inner = [m for m in result.mentions if m.entity_type == INSTITUTION and start <= m.start and m.end <= end]
            if known_institution_written_longer(text, start, end, inner):
                continue
            for mention in inner:  # "Leeds Teaching Hospitals" is more than the "Leeds" inside it
                result.mentions.remove(mention)
            result.new_institutions.append(NewInstitution(name, kind, start, end))
        self._drop_conditions_named_as_journals(result)
        return result

    def _awaiting_context(self, candidates, text, start, end, span):
        """Mentions of an ambiguous institution name ("Merck", "Lilly") that lacked context here
        but are written as its name: the story may show elsewhere which sense it means."""
        waiting = [
            c
            for c in candidates
            if c.needs_context and self._allowed(dataclasses.replace(c, needs_context=False), text, start, end, span)
        ]
        if len({c.entity_id for c in waiting}) != 1:
            return []  # none, or a name several institutions share: do not guess
        return [Mention(INSTITUTION, waiting[0].entity_id, start, end, span, waiting[0])]

    @staticmethod
    def _confirm_in_discourse(text, result, unconfirmed):
        """One sense per story: an ambiguous company name that owns a drug the text names
        ("Merck's boceprevir") is the company, and once the text shows an institution in
        context, its other mentions there are that institution too ("Merck is expected to ...")."""
        if not unconfirmed:
            return
        drug_starts = {m.start for m in result.mentions if m.entity_type == DRUG}
        shown = {m.entity_id for m in result.mentions if m.entity_type == INSTITUTION and m.candidate.needs_context}
        for mention in unconfirmed:
            owner = _POSSESSIVE_AFTER.match(text, mention.end)
            if mention.candidate.kind == InstitutionKind.COMPANY and owner and owner.end() in drug_starts:
                shown.add(mention.entity_id)
        taken = [(m.start, m.end) for m in result.mentions]
        result.mentions.extend(
            m for m in unconfirmed if m.entity_id in shown and not any(s < m.end and m.start < e for s, e in taken)
        )
        result.mentions.sort(key=lambda m: m.start)

    @staticmethod
    def _drop_conditions_named_as_journals(result):
        """'published in the journal Stroke' or '... the journal AIDS': the words are the journal's
        name (known or suggested), not the condition."""
        journals = [
            (m.start, m.end)
            for m in result.mentions
            if m.entity_type == INSTITUTION and m.candidate.kind == InstitutionKind.JOURNAL
        ] + [(n.start, n.end) for n in result.new_institutions if n.kind == InstitutionKind.JOURNAL]

        def in_a_journal(m):
            return m.entity_type == CONDITION and any(s <= m.start and m.end <= e for s, e in journals)

        if journals:
            result.held_back[:] = [m for m in result.held_back if not in_a_journal(m)]
            result.mentions[:] = [m for m in result.mentions if not in_a_journal(m)]

    def _add_coordinated_cancers(self, text, result):
        """'cancers of the liver, stomach and pancreas', 'breast and ovarian cancer': each organ's cancer;
        'liver and kidney damage': each organ's harm."""
        linked = {(m.start, m.end) for m in result.mentions}
        for start, end, organ, head in conditionrules.coordinated_organs(text):
            if any(s <= start and end <= e for s, e in linked):
                continue
            entry = None
            words = normalize(organ).split()
            # "urinary bladder cancer", else the adjective's "renal cancer" (renal pelvis), else "bladder cancer".
            for name in dict.fromkeys((" ".join(words), words[0], words[-1])):
                entry = self.automaton.get(f" {name} {normalize(head)} ", None)
                if not entry and conditionrules.CANCER_HEAD.match(head):
                    entry = self.automaton.get(f" {name} cancer ", None)
                if entry and entry[1] != STOP:
                    break
            if not entry or entry[1] == STOP:
                continue
            options = [c for c in entry[1] if c.entity_type == CONDITION and not c.match_case]
            best = {c.entity_id: c for c in options if c.rank == min((o.rank for o in options), default=None)}
            if len(best) == 1:
                candidate = next(iter(best.values()))
                result.mentions.append(Mention(CONDITION, candidate.entity_id, start, end, text[start:end], candidate))
        result.mentions.sort(key=lambda m: m.start)

    def _apply_drug_induced(self, text, result):
        """'levodopa-induced dyskinesia', 'cocaine psychosis': the drug-induced heading, over the phrase."""
        if not self.drug_induced:
            return
        drugs = [(m.start, m.end) for m in result.mentions if m.entity_type == DRUG]
        for index, mention in enumerate(result.mentions):
            induced = self.drug_induced.get(mention.entity_id) if mention.entity_type == CONDITION else None
            if induced is None:
                continue
            start = conditionrules.drug_caused(text, mention.start, mention.end, drugs)
            if start is not None:
                span = text[start : mention.end]
                result.mentions[index] = Mention(
                    CONDITION, induced.entity_id, start, mention.end, span, dataclasses.replace(induced, text=span)
                )

    @staticmethod
    def _drop_conditions_in_names(text, result):
        """A condition's words inside an organisation's name or an address are not the condition."""
        for bucket in (result.mentions, result.held_back):
            bucket[:] = [
                m
                for m in bucket
                if m.entity_type != CONDITION
                or not (
                    conditionrules.in_organisation_name(text, m.start, m.end)
                    or conditionrules.in_address(text, m.start, m.end)
                )
            ]

    @staticmethod
    def _resolve_everyday_words(text, result):
        """Everyday words link when their sentence is medical; the rest wait for the story's verdict."""
        if not result.held_back:
            return
        firm = [(m.start, m.end) for m in result.mentions if m.entity_type in (CONDITION, DRUG)]
        condition_ends = {m.end for m in result.mentions if m.entity_type == CONDITION}
        waiting = []
        for mention in result.held_back:
            if everyday.follows(text, mention.start, condition_ends):
                continue  # "migraine pain", "cancer fatigue": the named condition's own symptom
            medical = everyday.has_medical_cue(text, mention.start, mention.end, firm)
            (result.mentions if medical else waiting).append(mention)
        result.held_back = waiting
        result.mentions.sort(key=lambda m: m.start)

    @staticmethod
    def _apply_abbreviations(text, result, defined):
        """Short forms the story defines link to what they abbreviate; the story's meaning wins."""
        linked = [m for m in result.mentions if m.entity_type in (CONDITION, DRUG)]
        result.abbreviations = {**defined, **abbreviations.definitions(text, linked)}
        for short, source in result.abbreviations.items():
            spans = [  # "progressive MS" is a longer name than the "MS" inside it
                (s, e)
                for s, e in abbreviations.occurrences(text, short)
                if not any(m.start <= s and e <= m.end and m.end - m.start > e - s for m in linked)
            ]
            if not spans:
                continue
            candidate = dataclasses.replace(source.candidate, text=short, match_case=True, everyday=False)
            for bucket in (result.mentions, result.held_back):
                bucket[:] = [m for m in bucket if not any(m.start < e and s < m.end for s, e in spans)]
            result.mentions.extend(
                Mention(source.entity_type, source.entity_id, s, e, text[s:e], candidate) for s, e in spans
            )
        result.mentions.sort(key=lambda m: m.start)

    def _vetoed(self, key, text, start, end):
        """Context that shows a name is used in its everyday sense ("lithium prices", "Swift fever")."""
        rule = self.vetoes.get(key)
        if rule is None:
            return False
        before, after = text[max(0, start - 40) : start], text[end : end + 40]
        if rule["before"] and rule["before"].search(before):
            return True
        if rule["after"] and rule["after"].search(after):
            return True
        if rule["after_name"]:  # "Swift fever": a capitalised word, not starting the sentence
            previous = re.search(r"([A-Z][\w'’-]*)\s+$", before)
            if previous and previous.group(1) not in _PLAIN_CAPITALISED:
                return True
        return False

    @staticmethod
    def _allowed(candidate, text, start, end, span):
        if candidate.match_case:
            if "." in candidate.text:  # "F.D.A." is written with its dots, not "A., M.A" for "A.M.A."
                return span.rstrip(".") == candidate.text.rstrip(".")
            if _alnum(span) == _alnum(candidate.text):
                return True
            # British style writes the disease "Aids"; the verb starts sentences or follows "it".
            return (
                candidate.text == "AIDS"
                and span == "Aids"
                and not at_sentence_start(text, start)
                and not re.search(r"\b(?:it|which|that|this|also)\s+$", text[max(0, start - 12) : start], re.I)
            )
        if candidate.entity_type == INSTITUTION and _JOURNAL_OF_BEFORE.search(text[max(0, start - 20) : start]):
            return False  # "Journal of the National Cancer Institute" is not the institute
        if candidate.entity_type == INSTITUTION and not institution_written_as_name(candidate, span):
            return False
        if candidate.needs_context:
            return institution_in_context(text, start, end, candidate)
        if candidate.is_brand and not span[:1].isupper():
            return False
        if candidate.entity_type == DRUG and "," in span and "," not in candidate.text:
            return False  # "the vitamin, a study": a name cannot run across a comma
        if candidate.entity_type == DRUG and _NOT_THE_DRUG_AFTER.match(text[end:]):
            return False  # "methicillin-resistant", "a guaiac test": an organism or a test, not the drug
        goods = span.lower().startswith("seizure") and _GOODS_AFTER.match(text[end:])  # "seizure of cocaine"
        return not (candidate.entity_type == CONDITION and goods)


# "Merck's boceprevir": a possessive, then (where the next word starts) what the name owns.
_POSSESSIVE_AFTER = re.compile(r"['’]s?\s+")


# A drug's name followed by these names something else: a resistant organism or a lab test.
_NOT_THE_DRUG_AFTER = re.compile(r"\s*-?\s*resistant\b|\s+tests?\b", re.IGNORECASE)


def _names_a_class(value):
    candidates = value[1]
    return candidates != STOP and any(c.entity_type == DRUG_CLASS for c in candidates)


def _inside_class_name(found, index, offsets):
    """Leftmost-longest matches strictly inside the class name's span ``found[index]``, classes
    and drugs left out: "HIV" in "HIV medications", "prostate cancer" in "hormone therapy for prostate cancer".
    ``found`` is sorted by start, so only the entries from ``index`` to the span's end are read."""
    start, end, _ = found[index]
    inner, last_end = [], start - 1
    for s, e, (key, candidates) in itertools.islice(found, index + 1, None):
        if s >= end:
            break
        if e > end or s <= last_end:
            continue
        if candidates != STOP:
            # Drugs left out too: "GnRH" in "GnRH agonists" says how the class works.
            candidates = tuple(c for c in candidates if c.entity_type not in (DRUG_CLASS, DRUG))
            if not candidates:
                continue  # a narrower class inside a broader one's name, a drug naming it, or the same class
        inner.append((offsets[s], offsets[e - 1] + 1, (key, candidates)))
        last_end = e
    return inner


# --------------------------------------------------------------------------- cache


def _neoplasm_ids():
    """(Neoplasms' id, ids of the specific neoplasms under it in MeSH tree C04)."""
    general = Condition.objects.filter(name="Neoplasms").values_list("pk", flat=True).first()
    specific = set(
        ConditionTreeNumber.objects.filter(
            Q(number__startswith="C04.557") | Q(number__startswith="C04.588")
        ).values_list("condition_id", flat=True)
    )
    specific.discard(general)
    return general, frozenset(specific)


def _drug_induced_ids():
    """({general condition id: Candidate of its drug-induced heading}, ids of the general headings
    that stay linked beside it), from ``conditionrules.DRUG_INDUCED`` and ``KEEP_GENERAL``."""
    names = set(conditionrules.DRUG_INDUCED) | set(conditionrules.DRUG_INDUCED.values())
    ids = dict(Condition.objects.filter(name__in=names).values_list("name", "pk"))
    induced = {
        ids[general]: Candidate(CONDITION, ids[heading], heading, curated=True, is_name=True)
        for general, heading in conditionrules.DRUG_INDUCED.items()
        if general in ids and heading in ids
    }
    return induced, frozenset(ids[name] for name in conditionrules.KEEP_GENERAL if name in ids)


def _linkable_condition_ids():
    """Conditions in the disease trees, without tree numbers, or with a curated alias."""
    in_trees = Q()
    for tree in DISEASE_TREES:
        in_trees |= Q(number__startswith=tree)
    diseases = set(ConditionTreeNumber.objects.filter(in_trees).values_list("condition_id", flat=True))
    with_tree = set(ConditionTreeNumber.objects.values_list("condition_id", flat=True).distinct())
    curated = set(
        ConditionAlias.objects.exclude(origin=Origin.VOCABULARY).values_list("condition_id", flat=True).distinct()
    )
    every = set(Condition.objects.values_list("pk", flat=True))
    return diseases | curated | (every - with_tree)


def drug_ingredients():
    """{combination drug id: (ingredient drug ids)}: a story naming the combination names each of them."""
    found = defaultdict(list)
    for combination, ingredient in Drug.ingredients.through.objects.values_list("from_drug_id", "to_drug_id"):
        found[combination].append(ingredient)
    return {combination: tuple(sorted(ids)) for combination, ids in found.items()}


def alias_fingerprint():
    """Changes whenever an alias is added, edited or deleted (one query per table)."""
    parts = []
    for _, alias_model in ALIAS_TABLES:
        parts.append(tuple(alias_model.objects.aggregate(n=Count("pk"), top=Max("pk")).values()))
        history = alias_model.history.model
        parts.append(history.objects.aggregate(top=Max("history_id"))["top"])
    parts.append(ConditionTreeNumber.objects.count())
    parts.append(Drug.ingredients.through.objects.aggregate(n=Count("pk"), top=Max("pk"))["top"])
    return tuple(parts)


_cache = {"matcher": None}
_lock = threading.Lock()


def get_matcher(*, check=True):
    """The process's matcher, rebuilt when the aliases changed since it was built."""
    with _lock:
        matcher = _cache["matcher"]
        if matcher is None or (check and matcher.fingerprint != alias_fingerprint()):
            matcher = _cache["matcher"] = Matcher.build()
        return matcher


def clear_matcher_cache():
    _cache["matcher"] = None
