"""Find the conditions, drugs and institutions an article mentions.

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
- ambiguous institution names ("Nature", "Cell", "Columbia") link only in context:
  "published in Nature", "the journal Cell", "Columbia researchers";
- names from the vocabulary packages that are MeSH-style inverted entry terms ("pain, back"),
  shorter than four letters, or start with a function word ("her disease") are left out:
  news never writes them, and they match ordinary phrases; curated aliases are always kept;
- MeSH descriptors outside the disease trees (behaviour, social, health-care descriptors such
  as "Family Support" or "Decision Making") are not linked unless curated;
- when one name belongs to several entities of a type, an editor's or the supplement's alias
  wins over the package's ("anorexia" → Anorexia Nervosa), then the entity whose own name it
  is; if that still leaves several, nothing is linked (a wrong link is worse than none);
- "seizure(s) of …" (goods) and title-case "Aids" at the start of a sentence are not linked;
- unknown institutions are found by their shape ("… University Medical Center",
  "… Hospital", "… Institute", "University of …") and returned as new ones to suggest.

The automaton is built once per process and rebuilt when the alias tables change
(``get_matcher`` compares a cheap fingerprint: row counts, highest ids and highest history
ids of the three alias tables).
"""

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
    Institution,
    InstitutionAlias,
    InstitutionKind,
    Origin,
)
from ..text import normalize, normalize_with_offsets

DATA_DIR = Path(__file__).resolve().parent / "data"
CONDITION, DRUG, INSTITUTION = "condition", "drug", "institution"
ENTITY_TYPES = (CONDITION, DRUG, INSTITUTION)
ALIAS_TABLES = ((CONDITION, ConditionAlias), (DRUG, DrugAlias), (INSTITUTION, InstitutionAlias))
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
    r"(?:journal\s+|medical\s+journal\s+)?$|\bjournal\s+$",
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


def institution_in_context(text, start, end, candidate):
    """May an ambiguous institution name ("Nature", "Columbia") link here?"""
    if not text[start : start + 1].isupper():
        return False
    before, after = text[max(0, start - 80) : start], text[end : end + 40]
    if candidate.kind == InstitutionKind.JOURNAL:
        return bool(_JOURNAL_BEFORE.search(before) or _JOURNAL_AFTER.search(after))
    return bool(_INSTITUTION_BEFORE.search(before) or _INSTITUTION_AFTER.search(after))


# --------------------------------------------------------------------------- unknown institutions

_CAP = r"[A-Z][A-Za-z'’\-]+"
_SUFFIX = (
    r"(?:University\s+Medical\s+Cent(?:er|re)|Medical\s+Cent(?:er|re)|Cancer\s+Cent(?:er|re)|"
    r"Research\s+(?:Cent(?:er|re)|Institute)|Children['’]s\s+Hospital|Hospitals?|Infirmary|Institute|"
    r"University|Clinic|School\s+of\s+Medicine|Medical\s+School|Health\s+System)"
)
_UNKNOWN_INSTITUTION_RE = re.compile(
    rf"\b(?:{_CAP}\s+){{1,5}}{_SUFFIX}\b"
    rf"|\b(?:{_CAP}\s+){{0,3}}(?:University|Institute|Hospital)\s+(?:of|for)\s+(?:the\s+)?{_CAP}"
    rf"(?:\s+(?:and\s+)?{_CAP}){{0,3}}"
)
_GENERIC_WORDS = frozenset([
    "the", "a", "national", "general", "university", "medical", "children's", "children’s", "research",
    "cancer", "state", "royal", "central", "regional", "city", "county", "community", "memorial", "teaching",
    "district", "public", "health", "institute", "center", "centre", "hospital", "hospitals", "clinic",
    "school", "of", "for", "and", "new", "international", "global", "federal", "department",
])  # fmt: skip
_LEADING_NOISE = frozenset([
    "The", "A", "An", "Yesterday", "Today", "Last", "On", "In", "At", "But", "And", "Now", "Meanwhile",
    "However", "Doctors", "Researchers", "Scientists", "Experts", "Staff", "Patients", "Officials", "Both",
    "When", "While", "After", "Before", "Since", "Dr", "Prof", "Professor", "Mr", "Mrs", "Ms",
])  # fmt: skip


def _institution_kind(name):
    lowered = name.lower()
    if any(word in lowered for word in ("hospital", "infirmary", "medical center", "medical centre", "clinic")):
        return InstitutionKind.HOSPITAL
    if "institute" in lowered or "research cent" in lowered:
        return InstitutionKind.RESEARCH_INSTITUTE
    return InstitutionKind.UNIVERSITY


def find_unknown_institutions(text):
    """(name, kind, start, end) for institution-shaped names in `text`."""
    found = []
    for match in _UNKNOWN_INSTITUTION_RE.finditer(text):
        start, name = match.start(), match.group()
        words = name.split()
        while words and words[0].rstrip(".") in _LEADING_NOISE:
            start = text.index(words[1], start + len(words[0])) if len(words) > 1 else start
            words = words[1:]
        name = " ".join(words)
        distinctive = [w for w in words if w[:1].isupper() and w.lower() not in _GENERIC_WORDS]
        if not distinctive:
            continue
        found.append((name, _institution_kind(name), start, match.end()))
    return found


# --------------------------------------------------------------------------- the matcher


class Matcher:
    """Every alias of every entity in one automaton. Build with Matcher.build()."""

    def __init__(self, automaton, *, fingerprint=None, stats=None, vetoes=None):
        self.automaton = automaton
        self.vetoes = vetoes or {}
        self.fingerprint = fingerprint
        self.stats = stats or {}

    # ----------------------------------------------------------------- building

    @classmethod
    def build(cls):
        started = time.perf_counter()
        false_words, false_phrases = load_false_friends()
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
                    if entity_type == INSTITUTION:
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
        matcher = cls(automaton, fingerprint=alias_fingerprint(), stats=stats)
        matcher.vetoes = vetoes
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
        for start, end, value in found:
            if start > last_end:
                chosen.append((offsets[start], offsets[end - 1] + 1, value))
                last_end = end
        return chosen

    def match(self, text):
        """MatchResult for one text (title or body)."""
        result = MatchResult()
        known_institution_spans = []
        for start, end, (_, candidates) in self.spans(text):
            if candidates == STOP:
                continue
            span = text[start:end]
            if self._vetoed(normalize(span), text, start, end):
                continue
            allowed = [c for c in candidates if self._allowed(c, text, start, end, span)]
            by_type = defaultdict(list)
            for candidate in allowed:
                by_type[candidate.entity_type].append(candidate)
            for entity_type, options in by_type.items():
                best_rank = min(c.rank for c in options)
                best = {c.entity_id: c for c in options if c.rank == best_rank}
                if len(best) != 1:
                    continue  # several entities share the name equally: do not guess
                candidate = next(iter(best.values()))
                contested = len({c.entity_id for c in options}) > 1
                result.mentions.append(
                    Mention(entity_type, candidate.entity_id, start, end, span, candidate, contested=contested)
                )
                if entity_type == INSTITUTION:
                    known_institution_spans.append((start, end))
            if any(c.entity_type == INSTITUTION for c in candidates):
                known_institution_spans.append((start, end))
        for name, kind, start, end in find_unknown_institutions(text):
            if any(s <= start and end <= e for s, e in known_institution_spans):
                continue  # the vocabulary knows it (or a longer name containing it)
            known = self.automaton.get(f" {normalize(name)} ", None)
            if known and known[1] != STOP and any(c.entity_type == INSTITUTION for c in known[1]):
                continue
            inner = [m for m in result.mentions if m.entity_type == INSTITUTION and start <= m.start and m.end <= end]
            for mention in inner:  # "Leeds Teaching Hospitals" is more than the "Leeds" inside it
                result.mentions.remove(mention)
            result.new_institutions.append(NewInstitution(name, kind, start, end))
        return result

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
        if candidate.needs_context:
            return institution_in_context(text, start, end, candidate)
        if candidate.is_brand and not span[:1].isupper():
            return False
        goods = span.lower().startswith("seizure") and _GOODS_AFTER.match(text[end:])  # "seizure of cocaine"
        return not (candidate.entity_type == CONDITION and goods)


# --------------------------------------------------------------------------- cache


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


def alias_fingerprint():
    """Changes whenever an alias is added, edited or deleted (one query per table)."""
    parts = []
    for _, alias_model in ALIAS_TABLES:
        parts.append(tuple(alias_model.objects.aggregate(n=Count("pk"), top=Max("pk")).values()))
        history = alias_model.history.model
        parts.append(history.objects.aggregate(top=Max("history_id"))["top"])
    parts.append(ConditionTreeNumber.objects.count())
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
