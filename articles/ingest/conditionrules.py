"""Condition-specific linking rules that look at the words around a condition's name.

- **Inside an organisation's name**: "the Obesity Prevention Center", "the Hospital for Joint
  Diseases", "Annals of Allergy, Asthma & Immunology", "the American Chronic Pain Association"
  name a place or a journal, not the disease. A condition whose span lies in a run of
  capitalised words that holds an organisation word (``ORGANISATION_WORDS``) is not linked.
  Headlines written in title case are left alone (every word is capitalised there).
- **In an e-mail address or a web address**: "aches@paper.com", "www.stroke.org".
- **A generic word for a cancer already named**: "tumours" in a story that names a specific
  cancer ("prostate cancer … the tumours") are that cancer, not a second link to Neoplasms
  (tests/data/linking/README.md, "a generic word for a disease the story has already named").
  ``GENERIC_CANCER_WORDS`` lists the words; the Linker applies the rule to the whole story.
  "Cancer" itself is left linked: news uses it for the disease in general ("cancer
  screening", "cancer deaths") as often as for the one named, and the annotations link it then.
"""

import re

from ..text import normalize
from ..vocabulary.forms import ORGANS

ORGANISATION_WORDS = frozenset([
    "center", "centre", "centers", "centres", "association", "foundation", "society", "institute", "institutes",
    "hospital", "section", "department", "division", "annals", "journal", "clinic", "laboratory", "laboratories",
    "network", "alliance", "council", "college", "academy", "consortium", "coalition", "trust", "federation",
    "league", "unit", "program", "programme", "charity", "fund", "registry",
])  # fmt: skip
_CONNECTORS = frozenset(["of", "for", "and", "the", "&", "on", "in"])
_TOKEN = re.compile(r"[A-Za-z][\w'’.-]*|&|,")
_ADDRESS = re.compile(r"\S+@\S+|\b(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|org|net|gov|edu)(?:/\S*)?\b", re.I)

GENERIC_CANCER_WORDS = frozenset(
    normalize(word)
    for word in (
        "tumor", "tumors", "tumour", "tumours", "cancerous tumors", "cancerous tumours",
    )
)  # fmt: skip


def _capitalised(token):
    return token[:1].isupper()


def _tokens(text):
    return [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]


def _is_title_case(tokens):
    words = [t for _, _, t in tokens if t[:1].isalpha() and t.lower() not in _CONNECTORS and len(t) > 3]
    return len(words) >= 4 and sum(_capitalised(w) for w in words) / len(words) >= 0.9


def in_organisation_name(text, start, end):
    """Is text[start:end] part of a capitalised name that holds an organisation word?"""
    if not text[start:end][:1].isupper():
        return False  # most mentions: written in lower case, so not part of a name
    line_start = max(text.rfind("\n", 0, start) + 1, start - 150)
    line_end = text.find("\n", end)
    line_end = min(len(text) if line_end < 0 else line_end, end + 150)
    tokens = _tokens(text[line_start:line_end])
    if _is_title_case(tokens):
        return False
    offset = start - line_start
    finish = end - line_start
    inside = [i for i, (s, e, _) in enumerate(tokens) if s < finish and offset < e]
    if not inside or not all(_capitalised(tokens[i][2]) or tokens[i][2] in _CONNECTORS for i in inside):
        return False

    def part_of_name(index):
        word = tokens[index][2]
        if word == ",":  # "Annals of Allergy, Asthma & Immunology"
            return 0 < index < len(tokens) - 1 and _capitalised(tokens[index + 1][2])
        return _capitalised(word) or word in _CONNECTORS

    left = inside[0]
    while left > 0 and part_of_name(left - 1):
        left -= 1
    right = inside[-1]
    while right < len(tokens) - 1 and part_of_name(right + 1):
        right += 1
    outside = [tokens[i][2] for i in range(left, right + 1) if i not in inside]
    return any(word.lower().rstrip(".") in ORGANISATION_WORDS for word in outside if _capitalised(word))


def in_address(text, start, end):
    """Is text[start:end] inside an e-mail address or a web address?"""
    line_start = max(0, start - 80)
    for match in _ADDRESS.finditer(text, line_start, min(len(text), end + 80)):
        if match.start() <= start and end <= match.end():
            return True
    return False


# "cancers of the liver, stomach and pancreas"; "breast and ovarian cancer", "stomach or throat cancers".
_ORGAN_WORD = r"[A-Za-z][a-z-]+"
_HEAD = r"(cancers?|tumou?rs?|malignanc(?:y|ies))"
_HEAD_WORD = re.compile(rf"\b{_HEAD}\b")
# Harm to organs shares its word the same way: "liver and kidney damage", "heart or lung disease".
_HARM_WORD = re.compile(
    r"\b(toxicit(?:y|ies)|damage|failure|diseases?|injur(?:y|ies)|dysfunction|problems)\b", re.IGNORECASE
)
CANCER_HEAD = re.compile(rf"^{_HEAD}$", re.IGNORECASE)
# The organs a harm is shared by must all be organs ("blood pressure and renal injury" shares nothing).
HARM_ORGANS = frozenset(
    [word for noun, adjectives, _ in ORGANS for word in (*noun.split(), *adjectives)]
    + ["cardiovascular", "gastrointestinal", "respiratory", "bladder", "bowel", "intestinal", "thyroid"]
)
# After "of the" an organ may take two words, an adjective first: "cancers of the renal pelvis, ureter
# or urinary bladder", "the small intestine" (not "the pancreas early").
_ORGAN_ADJECTIVE = r"(?:[a-z]+(?:al|ary|ic|ine|ous|ar|ior|ern)|small|large|upper|lower|bile)"
_ORGAN_PHRASE = rf"(?:{_ORGAN_ADJECTIVE}\s+(?!(?:and|or)\b){_ORGAN_WORD}|{_ORGAN_WORD})"
_OF_LIST = re.compile(
    rf"\s+of\s+the\s+((?:{_ORGAN_PHRASE},\s+)*{_ORGAN_PHRASE},?\s+(?:and|or)\s+(?:the\s+)?{_ORGAN_PHRASE})"
)
_LIST_SEPARATOR = re.compile(r",?\s+(?:and|or)\s+(?:the\s+)?|,\s+")
_BEFORE_HEAD = re.compile(rf"\b((?:{_ORGAN_WORD},\s+)*{_ORGAN_WORD}),?\s+(?:and|or)\s+{_ORGAN_WORD}\s+$")
_WINDOW = 120


def coordinated_organs(text):
    """(start, end, organ, head) for each organ of a coordinated cancer phrase whose head word is shared
    ("cancers of the liver and lung", "breast and ovarian cancer"), and of a coordinated organ harm
    ("liver and kidney damage")."""
    found = []
    heads = [(m, True) for m in _HEAD_WORD.finditer(text)] + [(m, False) for m in _HARM_WORD.finditer(text)]
    for head_match, cancer in heads:
        head = head_match.group(1)
        after = _OF_LIST.match(text, head_match.end(), min(len(text), head_match.end() + _WINDOW)) if cancer else None
        if after:
            position = after.start(1)
            for piece in _LIST_SEPARATOR.split(after.group(1)):
                start = text.index(piece, position)
                found.append((start, start + len(piece), piece, head))
                position = start + len(piece)
        window_start = max(0, head_match.start() - _WINDOW)
        before = _BEFORE_HEAD.search(text[window_start : head_match.start()])
        if before and not cancer:
            words = re.findall(_ORGAN_WORD, before.group(0))
            if not all(w.lower() in HARM_ORGANS or w in ("and", "or") for w in words):
                before = None
        if before:
            for organ in re.finditer(_ORGAN_WORD, before.group(1)):
                start = window_start + before.start(1) + organ.start()
                found.append((start, start + len(organ.group()), organ.group(), head))
    return sorted(found)


# A condition a drug caused is MeSH's drug-induced heading: "levodopa-induced dyskinesia" is
# Dyskinesia, Drug-Induced, "haloperidol-induced parkinsonism" Parkinson Disease, Secondary,
# "cocaine psychosis" Psychoses, Substance-Induced, "penicillin allergy" Drug Hypersensitivity.
# {the general heading's name: its drug-induced heading's name}, both MeSH 2017 descriptors.
DRUG_INDUCED = {
    "Dyskinesias": "Dyskinesia, Drug-Induced",
    "Parkinsonian Disorders": "Parkinson Disease, Secondary",
    "Parkinson Disease": "Parkinson Disease, Secondary",
    "Psychotic Disorders": "Psychoses, Substance-Induced",
    "Hepatitis": "Chemical and Drug Induced Liver Injury",
    "Liver Diseases": "Chemical and Drug Induced Liver Injury",
    "Hypersensitivity": "Drug Hypersensitivity",
    "Exanthema": "Drug Eruptions",
    "Congenital Abnormalities": "Abnormalities, Drug-Induced",
}
# General headings that stay linked beside their drug-induced one: "liver disease" names liver disease
# of any cause, while "the dyskinesia" after "levodopa-induced dyskinesia" is the one named.
KEEP_GENERAL = frozenset(["Liver Diseases"])
# "drug-induced", "chemotherapy-induced", "medication induced" name no drug but say one did it.
_CAUSE_INDUCED = re.compile(
    r"\b(?:drugs?|medications?|medicines?|chemotherapy|chemical|substance|treatment|therapy)\s*-?\s*induced\s+$",
    re.IGNORECASE,
)
_INDUCED = re.compile(r"^\s*-?\s*(?:induced|associated|related)\s+$", re.IGNORECASE)
_INDUCED_BY = re.compile(
    r"\s+(?:(?:induced|caused|brought\s+on)\s+by|due\s+to|(?:secondary|attributed)\s+to|to|from)\s+(?:the\s+)?",
    re.IGNORECASE,
)
_INDUCED_BY_REACH = 30  # "allergy to the antibiotic amoxicillin": the drug starts this close after the word
_SENTENCE_STOP = re.compile(r"[.;!?]")


def drug_caused(text, start, end, drug_spans):
    """(start of the whole phrase, or None): is the condition at text[start:end] said to be caused by a
    drug? "levodopa-induced dyskinesia", "drug-induced parkinsonism", "cocaine psychosis",
    "hepatitis induced by isoniazid". `drug_spans`: (start, end) of the drugs the text names."""
    if _CAUSE_INDUCED.search(text[max(0, start - 40) : start]):
        return max(0, start - 40) + _CAUSE_INDUCED.search(text[max(0, start - 40) : start]).start()
    for drug_start, drug_end in drug_spans:
        if drug_end <= start and start - drug_end <= 20:
            between = text[drug_end:start]
            if not between.strip() or _INDUCED.match(between):
                return drug_start
    after = _INDUCED_BY.match(text, end, min(len(text), end + 40))
    if after:
        stop = _SENTENCE_STOP.search(text, after.end(), min(len(text), after.end() + _INDUCED_BY_REACH))
        limit = stop.start() if stop else min(len(text), after.end() + _INDUCED_BY_REACH)
        if any(after.end() <= s < limit for s, _ in drug_spans):
            return start
    return None
