"""Entity resolution: which drugs, conditions and institutions a query names.

1. Every run of up to eight words is looked up in the three alias tables at once
   (exact normalised match, one query); the longest runs win, left to right, so
   "jakafi alopecia areata" is Jakafi + Alopecia Areata.
2. Aliases that are ordinary words too (``is_ambiguous``: "aids", "iron") count only
   when they are the whole query; case-sensitive abbreviations (``match_case``:
   "ALL") only when typed in that case or alone.
3. When a query finds nothing, the words left over are typo candidates: the aliases
   of most similar trigrams (pg_trgm's index on PostgreSQL, the same trigrams in
   memory on SQLite), scored by one rapidfuzz ratio on both databases. A close,
   unambiguous match is used for the results ("ruxolitnib" → ruxolitinib); a looser
   one is only offered as "Did you mean".
"""

from dataclasses import dataclass, field

from django.db import connection

from ..models import AliasKind
from . import fuzzy
from .kinds import KINDS
from .query import STOPWORDS, is_word

MAX_ENTITIES_PER_GROUP = 5
FUZZY_MIN_LENGTH = 4  # characters a word needs before typo correction is tried
FUZZY_CONFIDENT = 88.0  # rapidfuzz ratio (0-100) at which a correction is used for results
FUZZY_SUGGEST = 80.0  # ... at which it is offered as "Did you mean"
FUZZY_SUGGEST_SHORT = 85.0  # ... for words under 7 letters, where one letter weighs more
FUZZY_MARGIN = 3.0  # a correction is confident only this far ahead of another entity
MAX_FUZZY_TEXTS = 3


@dataclass(frozen=True)
class Entity:
    kind: str  # "drug", "condition", "institution"
    id: int
    name: str
    slug: str


@dataclass
class Match:
    """One entity a part of the query names, and how."""

    entity: Entity
    alias: str  # the alias as stored ("Jakafi")
    alias_kind: str  # AliasKind value
    is_brand: bool
    typed: str  # what the reader typed ("JAKAFI", "ruxolitnib")
    fuzzy: bool = False
    score: float = 100.0

    @property
    def is_own_name(self):
        return self.alias_kind == AliasKind.NAME or self.alias.casefold() == self.entity.name.casefold()


@dataclass
class Group:
    """A part of the query and the entities it names (an article must match one of them)."""

    start: int
    end: int
    typed: str
    matches: list
    fuzzy: bool = False
    # Filled by the retrieval plan: narrower conditions included, per matched condition id.
    narrower: dict = field(default_factory=dict)

    def entities_matches(self, kind):
        return [m for m in self.matches if m.entity.kind == kind]

    def entities(self, kind=None):
        return [m.entity for m in self.matches if kind is None or m.entity.kind == kind]


@dataclass
class Resolution:
    groups: list
    words: list  # normalised words searched as full text
    suggestion: str | None = None  # the query with typos corrected
    corrected: bool = False  # the results use that correction

    @property
    def matches(self):
        return [m for g in self.groups for m in g.matches]


# --------------------------------------------------------------------------- lookups


ALIAS_COLUMNS = ("id", "text", "normalized", "kind", "is_brand", "match_case", "is_ambiguous")


def _alias_rows(column, values_by_kind):
    """Alias rows with their entity, from the three tables in one query.

    values_by_kind: {"drug": [...], ...} — the values of `column` ("normalized" or
    "id") to look up; kinds without values are left out. Rows: (kind, entity id,
    name, slug, alias id, text, normalized, alias kind, is_brand, match_case,
    is_ambiguous). Plain SQL: this runs on every search.
    """
    parts, params = [], []
    for kind in KINDS:
        values = list(values_by_kind.get(kind.name) or [])
        if not values:
            continue
        placeholders = ", ".join(["%s"] * len(values))
        parts.append(
            f"SELECT '{kind.name}', e.id, e.name, e.slug, {', '.join(f'a.{c}' for c in ALIAS_COLUMNS)} "  # noqa: S608
            f"FROM {kind.alias_table} a JOIN {kind.entity_table} e ON e.id = a.{kind.column} "
            f"WHERE a.{column} IN ({placeholders})"
        )
        params.extend(values)
    if not parts:
        return []
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return cursor.fetchall()


def _match(row, typed, *, fuzzy_score=None):
    kind, entity_id, name, slug, _alias_id, text, _normalized, alias_kind, is_brand, *_ = row
    return Match(
        entity=Entity(kind, entity_id, name, slug),
        alias=text,
        alias_kind=alias_kind,
        is_brand=bool(is_brand),
        typed=typed,
        fuzzy=fuzzy_score is not None,
        score=100.0 if fuzzy_score is None else fuzzy_score,
    )


def _match_order(match):
    return (not match.is_own_name, not match.is_brand, match.entity.kind != "drug", match.entity.name.lower())


def _allowed(row, query, start, end):
    """Ambiguous and case-sensitive aliases only where they cannot be a false friend."""
    *_, text, _normalized, _kind, _is_brand, match_case, is_ambiguous = row
    whole = start == 0 and end == len(query.tokens)
    if is_ambiguous and not whole:
        return False
    return not (match_case and not whole and query.raw_text(start, end) != text)


# --------------------------------------------------------------------------- resolution


def resolve(query):
    """The Resolution of a parsed Query by exact names (one query; none for an empty query)."""
    if query.is_empty:
        return Resolution(groups=[], words=[])
    grams = query.ngrams
    rows = _alias_rows("normalized", {kind.name: list(grams) for kind in KINDS})
    by_text = {}
    for row in rows:
        by_text.setdefault(row[6], []).append(row)
    groups = _segment(query, grams, by_text)
    covered = {i for g in groups for i in range(g.start, g.end)}
    return _resolution(query, _distinct_groups(groups), covered)


def correct_typos(query, resolution):
    """The Resolution with typos in the left-over words corrected, or None if there is nothing to try.

    For a query that found nothing: each run of words no name matched (and each long
    word in it) is looked up among the aliases by similarity (two or three queries).
    A close, unambiguous match joins the groups (the results use it); a looser one
    is only offered as the suggestion.
    """
    covered = {i for g in resolution.groups for i in range(g.start, g.end)}
    candidates = _fuzzy_candidates(query, _runs([i for i in range(len(query.tokens)) if i not in covered]))
    if not candidates:
        return None
    hits = fuzzy.find([text for text, _ in candidates])
    rows_by_id = _rows_by_alias_id(hits)
    groups = list(resolution.groups)
    suggestion_parts = {}  # (start, end) -> replacement text
    corrected = False
    for text, (start, end) in candidates:
        spans = [(g.start, g.end) for g in groups] + list(suggestion_parts)
        if any(start < span_end and span_start < end for span_start, span_end in spans):
            continue  # a longer run was corrected (or offered) already
        group, best = _fuzzy_group(query, start, end, text, hits.get(text, []), rows_by_id)
        if best is None:
            continue
        suggestion_parts[(start, end)] = best
        if group is not None:
            groups.append(group)
            corrected = True
    if not suggestion_parts:
        return None
    covered |= {i for g in groups for i in range(g.start, g.end)}
    result = _resolution(query, _distinct_groups(sorted(groups, key=lambda g: g.start)), covered)
    result.suggestion = _suggestion(query, suggestion_parts)
    result.corrected = corrected
    return result


def _resolution(query, groups, covered):
    words = []
    for i, token in enumerate(query.tokens):
        if i not in covered and is_word(token) and token not in words:
            words.append(token)
    return Resolution(groups=groups, words=words)


def _segment(query, grams, by_text):
    """Longest runs first, left to right, without overlaps."""
    chosen = []
    taken = set()
    spans = sorted(
        ((start, end) for text, positions in grams.items() if text in by_text for start, end in positions),
        key=lambda span: (-(span[1] - span[0]), span[0]),
    )
    for start, end in spans:
        if any(i in taken for i in range(start, end)):
            continue
        if all(t in STOPWORDS for t in query.tokens[start:end]) and (end - start) < len(query.tokens):
            continue
        rows = [row for row in by_text[query.text(start, end)] if _allowed(row, query, start, end)]
        if not rows:
            continue
        typed = query.raw_text(start, end)
        matches = _dedupe(sorted((_match(row, typed) for row in rows), key=_match_order))
        chosen.append(Group(start=start, end=end, typed=typed, matches=matches[:MAX_ENTITIES_PER_GROUP]))
        taken.update(range(start, end))
    return sorted(chosen, key=lambda g: g.start)


def _distinct_groups(groups):
    """Drop a group naming exactly the entities of an earlier one ("baricitinib olumiant")."""
    seen, result = set(), []
    for group in groups:
        key = frozenset((m.entity.kind, m.entity.id) for m in group.matches)
        if key not in seen:
            seen.add(key)
            result.append(group)
    return result


def _dedupe(matches):
    """One match per entity (the best-ranked alias)."""
    seen, result = set(), []
    for match in matches:
        key = (match.entity.kind, match.entity.id)
        if key not in seen:
            seen.add(key)
            result.append(match)
    return result


def _runs(indexes):
    """Consecutive index runs: [0, 1, 3] -> [(0, 2), (3, 4)]."""
    runs = []
    for i in indexes:
        if runs and runs[-1][1] == i:
            runs[-1] = (runs[-1][0], i + 1)
        else:
            runs.append((i, i + 1))
    return runs


def _fuzzy_candidates(query, runs):
    """(text, span) worth a typo lookup: left-over runs of real words, and their long words."""
    candidates = []
    for start, end in runs:
        # Trim stopwords at the edges: "the alzheimers diseese" -> "alzheimers diseese".
        while start < end and query.tokens[start] in STOPWORDS:
            start += 1
        while end > start and query.tokens[end - 1] in STOPWORDS:
            end -= 1
        tokens = query.tokens[start:end]
        long_words = [
            (t, (start + i, start + i + 1)) for i, t in enumerate(tokens) if len(t) >= FUZZY_MIN_LENGTH and is_word(t)
        ]
        if not long_words:
            continue
        if 1 < len(tokens) <= 4:
            candidates.append((query.text(start, end), (start, end)))
        candidates.extend(long_words)
    return candidates[:MAX_FUZZY_TEXTS]


def _rows_by_alias_id(hits):
    ids = {}
    for hit_list in hits.values():
        for hit in hit_list:
            ids.setdefault(hit.kind, set()).add(hit.alias_id)
    rows = _alias_rows("id", {kind: sorted(alias_ids) for kind, alias_ids in ids.items()})
    return {(row[0], row[4]): row for row in rows}


def _fuzzy_group(query, start, end, text, hits, rows_by_id):
    """(Group or None, replacement text or None) for the best typo candidates of `text`."""
    scored = []
    for hit in hits:
        row = rows_by_id.get((hit.kind, hit.alias_id))
        if row is None or (row[10] and (end - start) < len(query.tokens)):  # ambiguous word, not alone
            continue
        scored.append((hit.score, row))
    if not scored:
        return None, None
    scored.sort(key=lambda item: (-item[0], len(item[1][6])))
    best_score, best_row = scored[0]
    if best_score < (FUZZY_SUGGEST_SHORT if len(text) < 7 else FUZZY_SUGGEST):
        return None, None
    replacement = best_row[5]
    typed = query.raw_text(start, end)
    if typed == typed.lower():
        replacement = replacement.lower()
    rivals = [s for s, row in scored[1:] if (row[0], row[1]) != (best_row[0], best_row[1])]
    confident = best_score >= FUZZY_CONFIDENT and not (rivals and best_score - rivals[0] < FUZZY_MARGIN)
    if not confident:
        return None, replacement
    same_entity = [row for s, row in scored if (row[0], row[1]) == (best_row[0], best_row[1])]
    match = _match(same_entity[0], typed, fuzzy_score=best_score)
    return Group(start=start, end=end, typed=typed, matches=[match], fuzzy=True), replacement


def _suggestion(query, parts):
    pieces, position = [], 0
    for (start, end), replacement in sorted(parts.items()):
        span_start, span_end = query.spans[start][0], query.spans[end - 1][1]
        pieces.append(query.raw[position:span_start])
        pieces.append(replacement)
        position = span_end
    pieces.append(query.raw[position:])
    return " ".join("".join(pieces).split())
