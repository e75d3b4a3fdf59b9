"""Evidence facts a story states: participants, study type and phase, journal, trial ids, DOI, PubMed id.

Plain patterns over the text, tuned to how news writes these things; a fact that is
not stated stays empty (editors fill or correct it in the admin). Journals are matched
against the journal institutions the matcher found, then against "published in (the
journal) X" for a journal the vocabulary does not know.
"""

import re
from dataclasses import dataclass, field

from ..models import StudyType

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
    "a hundred": 100, "one hundred": 100, "a dozen": 12, "dozen": 12,
}  # fmt: skip
_SCALE = {"thousand": 1_000, "million": 1_000_000, "hundred": 100}
_NUMBER = (
    r"(?P<num>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?(?:\s*(?:thousand|million))?|"
    + "|".join(sorted((re.escape(w) for w in NUMBER_WORDS), key=len, reverse=True))
    + r")"
)
_PEOPLE = (
    r"(?:patients|participants|people|volunteers|adults|children|women|men|subjects|individuals|"
    r"babies|infants|adolescents|teenagers|pregnancies|mothers|veterans|smokers|residents|nurses|"
    r"survivors|cases|recruits)"
)
_FILLER = r"(?:[a-z-]+\s+){0,3}?"
PARTICIPANTS_RES = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        rf"\b(?:of|in|involving|including|enrolled|enrolling|recruited|followed|tracked|studied|analysed|"
        rf"analyzed|among|with|gave|treated|randomised|randomized|assigned|surveyed|nearly|almost|about|"
        rf"around|some|to|more\s+than|over|than)\s+(?:a\s+total\s+of\s+|all\s+)?{_NUMBER}\s+{_FILLER}{_PEOPLE}\b",
        rf"\b{_NUMBER}\s+{_FILLER}{_PEOPLE}\s+(?:took\s+part|were\s+(?:enrolled|recruited|randomi[sz]ed|"
        rf"studied|followed|treated|given|included|assigned))",
        rf"\b(?:study|trial|analysis)\s+(?:of|involving|in|with)\s+{_NUMBER}\s+{_FILLER}{_PEOPLE}\b",
    )
]
PHASE_RE = re.compile(
    r"\bphase\s*(?P<phase>[1-4]|i{1,3}v?|iv)(?:\s*(?:/|-|and|or)\s*(?:[1-4]|i{1,3}|iv)[ab]?)?[ab]?\b"
    r"(?:\s+[a-z-]+){0,3}\s+(?:trial|study|studies|trials|testing)",
    re.IGNORECASE,
)
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
# Designs a story names outright, most specific first.
EXPLICIT_DESIGNS = [
    (StudyType.META_ANALYSIS, r"\bmeta-?\s?analys[ie]s\b"),
    (StudyType.SYSTEMATIC_REVIEW, r"\bsystematic\s+review\b"),
    (StudyType.RCT, r"\brandomi[sz]ed\b[^.]{0,60}\b(?:trial|study)\b|\bRCTs?\b|\bplacebo-controlled\b"
     r"|\brandomly\s+(?:assigned|allocated)\b"),
    (StudyType.CASE_SERIES, r"\bcase\s+series\b"),
    (StudyType.CASE_REPORT, r"\bcase\s+report\b"),
    (StudyType.CASE_CONTROL, r"\bcase-?control\s+study\b"),
    (StudyType.COHORT, r"\bcohort\s+study\b|\bobservational\s+study\b|\bprospective\s+study\b"
     r"|\bfollowed\s+(?:\S+\s+){1,5}(?:for|over)\s+\S+\s+(?:years|decades)\b"),
    (StudyType.CROSS_SECTIONAL, r"\bcross-?sectional\b"),
    (StudyType.MODELLING, r"\bmodell?ing\s+study\b|\bcomputer\s+model(?:l?ing)?\b"),
]  # fmt: skip
# Words without which a design's pattern cannot match: a substring test on the
# lower-cased text is far cheaper than a case-insensitive regular expression.
_DESIGN_KEYWORDS = {
    StudyType.META_ANALYSIS: ("analys",),
    StudyType.SYSTEMATIC_REVIEW: ("systematic",),
    StudyType.RCT: ("randomi", "rct", "placebo", "randomly"),
    StudyType.CASE_SERIES: ("case series",),
    StudyType.CASE_REPORT: ("case report",),
    StudyType.CASE_CONTROL: ("control",),
    StudyType.COHORT: ("cohort", "observational", "prospective", "followed"),
    StudyType.CROSS_SECTIONAL: ("sectional",),
    StudyType.MODELLING: ("model",),
}
_EXPLICIT_RES = [
    (kind, _DESIGN_KEYWORDS[kind], re.compile(pattern, re.IGNORECASE)) for kind, pattern in EXPLICIT_DESIGNS
]
_TRIAL_RE = re.compile(r"\b(?:clinical\s+)?trials?\b", re.IGNORECASE)
_ANIMAL_RE = re.compile(
    r"\b(?:in|on|using|of)\s+(?:lab(?:oratory)?\s+|genetically\s+\w+\s+|\w+\s+)?"
    r"(?:mice|rats|monkeys|macaques|pigs|dogs|zebrafish|animals|primates|rodents|ferrets)\b"
    r"|\b(?:mouse|rat|animal|primate|rodent)\s+(?:study|studies|model|models|experiments?)\b",
    re.IGNORECASE,
)
_ANIMAL_WORDS = ("mice", "mouse", "rat", "monkey", "macaque", "pig", "dog", "zebrafish", "animal", "primate",
                 "rodent", "ferret")  # fmt: skip
_IN_VITRO_WORDS = ("vitro", "cell culture", "petri", "organoid", "lab dish")
_IN_VITRO_RE = re.compile(
    r"\bin\s+vitro\b|\bcell\s+cultures?\b|\bpetri\s+dish|\borganoids?\b|\bin\s+(?:a\s+)?lab\s+dish", re.IGNORECASE
)
_STUDY_CONTEXT_RE = re.compile(
    r"\b(?:study|studies|trial|trials|research|researchers|scientists|enrolled|took\s+part|recruited|"
    r"participants|volunteers|gave|given|treated|followed|analysed|analyzed|tested|doctors)\b",
    re.IGNORECASE,
)
_PREVALENCE_RE = re.compile(
    r"\b(?:affects?|affecting|live\s+with|living\s+with|suffer|diagnosed\s+each|die\s+each|every\s+year|"
    r"each\s+year|worldwide|in\s+the\s+(?:UK|US|world))\b",
    re.IGNORECASE,
)
_SENTENCE_RE = re.compile(r"[^.!?]+[.!?]?")
# Cheap tests that let most sentences skip the participant patterns.
_HAS_PEOPLE_RE = re.compile(rf"\b{_PEOPLE}\b", re.IGNORECASE)
_HAS_DIGIT_RE = re.compile(r"\d")
_HAS_NUMBER_WORD_RE = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in NUMBER_WORDS) + r"|thousand|million)\b")
NCT_RE = re.compile(r"\bNCT\s?(\d{8})\b", re.IGNORECASE)
ISRCTN_RE = re.compile(r"\bISRCTN\s?(\d{8})\b", re.IGNORECASE)
EUDRACT_RE = re.compile(r"\b(?:EudraCT\s*(?:number\s*)?:?\s*)(\d{4}-\d{6}-\d{2})\b", re.IGNORECASE)
PMID_RE = re.compile(r"\b(?:PMID|PubMed(?: ID)?)\s*:?\s*(\d{1,9})\b", re.IGNORECASE)
DOI_RE = re.compile(r"\b(10\.\d{4,9}/[^\s\"'<>]+)", re.IGNORECASE)
JOURNAL_RE = re.compile(
    r"\b(?:published|publishing|appears?|appeared|reported|writing|report|reporting)\s+(?:online\s+)?"
    r"(?:\w+\s+){0,2}?in\s+(?:the\s+)?(?:(?:medical|scientific|peer-reviewed)\s+)?journal,?\s+"
    r"(?P<name>(?:[A-Z][\w&’'-]*|of|and|the|in|&)(?:\s+(?:[A-Z][\w&’'-]*|of|and|the|in|&)){0,6})"
)
APPROVAL_PATTERNS = [
    ("recalled", r"\brecall(?:ed|s|ing)?\b"),
    ("withdrawn", r"\bwithdr[ae]wn?\s+from\s+the\s+market\b|\bpulled\s+from\s+(?:the\s+)?(?:market|shelves)\b"),
    ("rejected", r"\b(?:rejected|declined\s+to\s+approve|refused\s+(?:to\s+approve|approval))\b"),
    ("approved", r"\b(?:approved|approval|authori[sz]ed|cleared|licensed|green-?lit)\b"),
    ("under_review", r"\b(?:under\s+review|accepted\s+for\s+review|priority\s+review|decision\s+(?:is\s+)?expected)\b"),
]
_APPROVAL_RES = [(status, re.compile(p, re.IGNORECASE)) for status, p in APPROVAL_PATTERNS]
_REGULATOR_WORDS = re.compile(r"\b(?:FDA|EMA|MHRA|regulators?|regulatory|Food and Drug|Medicines Agency|NICE)\b")


@dataclass
class Evidence:
    study_type: str = ""
    trial_phase: int | None = None
    participants: int | None = None
    journal: str = ""
    doi: str = ""
    pmid: str = ""
    trial_ids: list = field(default_factory=list)
    regulatory_status: str = ""

    def fields(self):
        """The Article fields (trial ids live in their own table)."""
        return {
            "study_type": self.study_type,
            "trial_phase": self.trial_phase,
            "participants": self.participants,
            "journal": self.journal,
            "doi": self.doi,
            "pmid": self.pmid,
            "regulatory_status": self.regulatory_status,
        }


def parse_number(text):
    text = text.lower().replace(",", "").strip()
    if text in NUMBER_WORDS:
        return NUMBER_WORDS[text]
    scale = 1
    for word, factor in _SCALE.items():
        if text.endswith(word):
            scale, text = factor, text[: -len(word)].strip()
    try:
        value = float(text) * scale
    except ValueError:
        return None
    return int(value) if value >= 1 else None


def participants(text):
    """Largest number of people a study is said to involve (the whole sample, not a
    subgroup), from sentences about a study — not prevalence figures ("affects 5 million people")."""
    counts = []
    for sentence in _SENTENCE_RE.findall(text):
        if not (_HAS_DIGIT_RE.search(sentence) or _HAS_NUMBER_WORD_RE.search(sentence.lower())):
            continue
        if not _HAS_PEOPLE_RE.search(sentence):
            continue
        if not _STUDY_CONTEXT_RE.search(sentence) or _PREVALENCE_RE.search(sentence):
            continue
        for pattern in PARTICIPANTS_RES:
            counts.extend(parse_number(m.group("num")) for m in pattern.finditer(sentence))
    counts = [n for n in counts if n and n < 100_000_000]
    return max(counts) if counts else None


def study_type(text, people=None):
    """(study type, phase): the design the text names; else inferred from what it says
    was done (a few treated patients are a case series; "in mice" an animal study)."""
    phase = None
    match = PHASE_RE.search(text) if "phase" in text.lower() else None
    if match:
        raw = match.group("phase").lower()
        phase = int(raw) if raw.isdigit() else _ROMAN.get(raw)
    lowered = text.lower()
    for kind, keywords, pattern in _EXPLICIT_RES:
        if any(keyword in lowered for keyword in keywords) and pattern.search(text):
            return kind, phase
    if phase:
        return StudyType.CLINICAL_TRIAL, phase
    if people:
        human_trial = any(
            _TRIAL_RE.search(sentence) and not _ANIMAL_RE.search(sentence) for sentence in _SENTENCE_RE.findall(text)
        )
        if people <= 20 and not human_trial:
            return (StudyType.CASE_REPORT if people == 1 else StudyType.CASE_SERIES), None
        return (StudyType.CLINICAL_TRIAL if human_trial else ""), None
    if any(word in lowered for word in _ANIMAL_WORDS) and _ANIMAL_RE.search(text):
        return StudyType.ANIMAL, None
    if any(word in lowered for word in _IN_VITRO_WORDS) and _IN_VITRO_RE.search(text):
        return StudyType.IN_VITRO, None
    return "", None


def journal_name(text, journals_found=()):
    """The journal a story cites: a known journal institution the matcher found (first
    mentioned), else the name after "published in the journal …"."""
    if journals_found:
        return journals_found[0]
    match = JOURNAL_RE.search(text)
    if not match:
        return ""
    words = match.group("name").split()
    while words and words[-1].lower() in {"of", "and", "the", "in", "&"}:
        words.pop()
    return " ".join(words)[:300]


def regulatory_status(text):
    if not _REGULATOR_WORDS.search(text):
        return ""
    for status, pattern in _APPROVAL_RES:
        for match in pattern.finditer(text):
            window = text[max(0, match.start() - 120) : match.end() + 120]
            if _REGULATOR_WORDS.search(window):
                return status
    return ""


def extract(text, *, journals_found=()):
    """Evidence facts in `text` (title and body together)."""
    people = participants(text)
    kind, phase = study_type(text, people)
    lowered = text.lower()
    trial_ids = sorted(
        {f"NCT{m}" for m in (NCT_RE.findall(text) if "nct" in lowered else ())}
        | {f"ISRCTN{m}" for m in (ISRCTN_RE.findall(text) if "isrctn" in lowered else ())}
        | {f"EudraCT {m}" for m in (EUDRACT_RE.findall(text) if "eudract" in lowered else ())}
    )
    doi = ""
    match = DOI_RE.search(text) if "10." in text else None
    if match:
        doi = match.group(1).rstrip(".,;:)]")
    match = PMID_RE.search(text) if "pm" in lowered or "pubmed" in lowered else None
    pmid = match.group(1) if match else ""
    return Evidence(
        study_type=kind,
        trial_phase=phase,
        participants=people,
        journal=journal_name(text, journals_found),
        doi=doi[:255],
        pmid=pmid,
        trial_ids=trial_ids,
        regulatory_status=regulatory_status(text),
    )
