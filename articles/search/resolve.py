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

from ..kinds import RESOLVED_KINDS
from ..models import AliasKind, public_link_sql
from . import fuzzy
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
    ambiguous: bool = False  # the alias is also an everyday word or another thing's name

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
    # Filled by the retrieval plan: narrower conditions included, per matched condition id;
    # member drugs included, per matched drug class id.
    narrower: dict = field(default_factory=dict)
    members: dict = field(default_factory=dict)
    subclasses: dict = field(default_factory=dict)  # the classes below, per matched class id

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


STORIES_COUNTED = 1000  # public stories counted per typo candidate, at most (a tie-break)


def _alias_rows(column, values_by_kind, *, stories=False, extra=None):
    """Alias rows with their entity, from the three tables in one query.

    values_by_kind: {"drug": [...], ...} — the values of `column` ("normalized" or
    "id") to look up; kinds without values are left out. Rows: (kind, entity id,
    name, slug, alias id, text, normalized, alias kind, is_brand, match_case,
    is_ambiguous) — and with `stories`, how many public stories link to the entity (up to
    STORIES_COUNTED). `extra`: (sql, params) of more rows of that shape. Plain SQL: this runs
    on every search.
    """
    parts, params = [], []
    for kind in RESOLVED_KINDS:
        values = list(values_by_kind.get(kind.name) or [])
        if not values:
            continue
        placeholders = ", ".join(["%s"] * len(values))
        counted = ""
        if stories:
            counted = (
                f", (SELECT COUNT(*) FROM (SELECT 1 FROM {kind.link_table} l WHERE l.{kind.column} = e.id "  # noqa: S608
                f"AND {public_link_sql('l')} LIMIT {STORIES_COUNTED}) s)"
            )
        parts.append(
            f"SELECT '{kind.name}', e.id, e.name, e.slug, {', '.join(f'a.{c}' for c in ALIAS_COLUMNS)}{counted} "  # noqa: S608
            f"FROM {kind.alias_table} a JOIN {kind.entity_table} e ON e.id = a.{kind.column} "
            f"WHERE a.{column} IN ({placeholders})"
        )
        params.extend(values)
    if extra is not None:
        parts.append(extra[0])
        params.extend(extra[1])
    if not parts:
        return []
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return cursor.fetchall()


def _match(row, typed, *, fuzzy_score=None):
    kind, entity_id, name, slug, _alias_id, text, _normalized, alias_kind, is_brand, _case, ambiguous, *_ = row
    return Match(
        entity=Entity(kind, entity_id, name, slug),
        alias=text,
        alias_kind=alias_kind,
        is_brand=bool(is_brand),
        typed=typed,
        fuzzy=fuzzy_score is not None,
        score=100.0 if fuzzy_score is None else fuzzy_score,
        ambiguous=bool(ambiguous),
    )


def _match_order(match):
    """An unambiguous name first ("diabetes": the condition before the journal called Diabetes),
    then an entity's own name, a brand, a drug."""
    return (
        match.ambiguous,
        not match.is_own_name,
        not match.is_brand,
        match.entity.kind != "drug",
        match.entity.name.lower(),
    )


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
    rows = _alias_rows("normalized", {kind.name: list(grams) for kind in RESOLVED_KINDS})
    by_text = {}
    for row in rows:
        by_text.setdefault(row[6], []).append(row)
    groups = _segment(query, grams, by_text)
    covered = {i for g in groups for i in range(g.start, g.end)}
    return _resolution(query, _distinct_groups(groups), covered)


def correct_typos(query, resolution, absent=None):
    """The Resolution with typos in the left-over words corrected, or None if there is nothing to try.

    Only a word that is neither a name (the groups) nor in any story (`absent`: the
    left-over words no story holds; None: all of them) is a typo. Each run of words
    holding one (and each such word) is looked up among the aliases, and each word among
    the words stories use (``lexicon``), by similarity (two or three queries); a run's
    correction must keep its other words as typed, so a correctly spelled word is never
    changed. A confident match joins the groups, or replaces the word searched as text (the
    results use it); a looser one is only offered as the suggestion.
    """
    covered = {i for g in resolution.groups for i in range(g.start, g.end)}
    absent = set(resolution.words if absent is None else absent)
    candidates = _fuzzy_candidates(query, _runs([i for i in range(len(query.tokens)) if i not in covered]), absent)
    if not candidates:
        return None
    hits = fuzzy.find([text for text, _ in candidates])
    rows_by_id = _rows_by_alias_id(hits)
    groups = list(resolution.groups)
    suggestion_parts = {}  # (start, end) -> replacement text
    replaced = {}  # token index -> a story word searched in its place
    corrected = False
    for text, (start, end) in candidates:
        spans = [(g.start, g.end) for g in groups] + list(suggestion_parts)
        if any(start < span_end and span_start < end for span_start, span_end in spans):
            continue  # a longer run was corrected (or offered) already
        group, best, word = _fuzzy_group(query, start, end, text, hits.get(text, []), rows_by_id, absent)
        if best is None:
            continue
        suggestion_parts[(start, end)] = best
        if group is not None:
            groups.append(group)
            corrected = True
        elif word is not None:
            replaced[start] = word
            corrected = True
    if not suggestion_parts:
        return None
    covered |= {i for g in groups for i in range(g.start, g.end)}
    result = _resolution(query, _distinct_groups(sorted(groups, key=lambda g: g.start)), covered, replaced)
    result.suggestion = _suggestion(query, suggestion_parts)
    result.corrected = corrected
    return result


def _resolution(query, groups, covered, replaced=None):
    """The Resolution: the groups, and the other words (`replaced`: {token index: word} corrected)."""
    words = []
    for i, token in enumerate(query.tokens):
        token = (replaced or {}).get(i, token)
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


def _fuzzy_candidates(query, runs, absent):
    """(text, span) worth a typo lookup: left-over runs holding an `absent` word, and those words."""
    candidates = []
    for start, end in runs:
        # Trim stopwords at the edges: "the alzheimers diseese" -> "alzheimers diseese".
        while start < end and query.tokens[start] in STOPWORDS:
            start += 1
        while end > start and query.tokens[end - 1] in STOPWORDS:
            end -= 1
        tokens = query.tokens[start:end]
        long_words = [
            (t, (start + i, start + i + 1))
            for i, t in enumerate(tokens)
            if len(t) >= FUZZY_MIN_LENGTH and is_word(t) and t in absent
        ]
        if not long_words:
            continue
        if 1 < len(tokens) <= 4:
            candidates.append((query.text(start, end), (start, end)))
        candidates.extend(long_words)
    return candidates[:MAX_FUZZY_TEXTS]


def _rows_by_alias_id(hits):
    """{(kind, alias id): row} of the hits, as ``_alias_rows`` with `stories` (one query); a story
    word's row is (WORD, its id, word, "", its id, word, word, WORD, False, False, False, stories)."""
    ids = {}
    for hit_list in hits.values():
        for hit in hit_list:
            ids.setdefault(hit.kind, set()).add(hit.alias_id)
    words = sorted(ids.pop(fuzzy.WORD, ()))
    extra = None
    if words:
        placeholders = ", ".join(["%s"] * len(words))
        extra = (
            f"SELECT '{fuzzy.WORD}', w.id, w.word, '', w.id, w.word, w.word, '{fuzzy.WORD}', "  # noqa: S608
            f"1 = 0, 1 = 0, 1 = 0, w.stories FROM {fuzzy.WORD_TABLE} w WHERE w.id IN ({placeholders})",
            words,
        )
    rows = _alias_rows("id", {kind: sorted(alias_ids) for kind, alias_ids in ids.items()}, stories=True, extra=extra)
    return {(row[0], row[4]): row for row in rows}


def _fuzzy_group(query, start, end, text, hits, rows_by_id, absent):
    """(Group or None, replacement text or None, story word or None) for the best typo
    candidates of `text`: a Group for a confident name, the word for a confident story word."""
    scored = []
    # Words of the run that are not typos (names, or words some story holds) stay as typed.
    kept = [t for t in query.tokens[start:end] if t in STOPWORDS or t not in absent]
    for hit in hits:
        row = rows_by_id.get((hit.kind, hit.alias_id))
        if row is None or (row[10] and (end - start) < len(query.tokens)):  # ambiguous word, not alone
            continue
        if end - start > 1 and (row[0] == fuzzy.WORD or not all(t in row[6].split() for t in kept)):
            continue  # a story word replaces one word
        scored.append((hit.score, row))
    scored = _names_before_words(scored)
    if not scored:
        return None, None, None
    # A name some story uses first (the others would find nothing); then by similarity, and among
    # the close ones (FUZZY_MARGIN) a vocabulary name before a plain story word ("concusion" is
    # concussion, not conclusion), then by how many stories use it.
    used = [item for item in scored if item[1][11]] or scored
    top = max(score for score, _ in used)
    scored.sort(
        key=lambda item: (
            not item[1][11],
            top - item[0] >= FUZZY_MARGIN,
            item[1][0] == fuzzy.WORD,
            -item[1][11],
            -item[0],
            len(item[1][6]),
        )
    )
    best_score, best_row = scored[0]
    if best_score < (FUZZY_SUGGEST_SHORT if len(text) < 7 else FUZZY_SUGGEST):
        return None, None, None
    replacement = best_row[5]
    typed = query.raw_text(start, end)
    if typed == typed.lower():
        replacement = replacement.lower()
    # Not rivals: the best's entity under other names, and names with the best's very text (the
    # same correction: the word names them all, as it would typed correctly; "diabeties": the
    # condition and the journal called Diabetes).
    rivals = [
        (s, row[11])
        for s, row in scored[1:]
        if (row[0], row[1]) != (best_row[0], best_row[1])
        and row[6] != best_row[6]
        and (row[0] == fuzzy.WORD) == (best_row[0] == fuzzy.WORD)
    ]
    close = [stories for s, stories in rivals if abs(best_score - s) < FUZZY_MARGIN]
    # The typed text is in no story and is no name, so it finds nothing as typed: a name stories
    # use, similar enough to be offered and used more than any close rival, is used for the
    # results; a name no story uses only when it is very close (FUZZY_CONFIDENT).
    enough = best_score >= FUZZY_CONFIDENT or best_row[11] > 0
    confident = enough and all(stories < best_row[11] for stories in close)
    if not confident:
        return None, replacement, None
    if best_row[0] == fuzzy.WORD:
        return None, replacement, best_row[6]
    named = [row for _, row in scored if row[0] != fuzzy.WORD and row[6] == best_row[6]]
    matches = _dedupe(sorted((_match(row, typed, fuzzy_score=best_score) for row in named), key=_match_order))
    group = Group(start=start, end=end, typed=typed, matches=matches[:MAX_ENTITIES_PER_GROUP], fuzzy=True)
    return group, replacement, None


def _names_before_words(scored):
    """A story word that is also a candidate name's text is that name (its links and its names
    in the text are searched), used by as many stories as either says: (score, row) pairs."""
    word_stories = {row[6]: row[11] for _, row in scored if row[0] == fuzzy.WORD}
    names = {row[6] for _, row in scored if row[0] != fuzzy.WORD}
    result = []
    for score, row in scored:
        if row[0] == fuzzy.WORD:
            if row[6] not in names:
                result.append((score, row))
        else:
            result.append((score, (*row[:11], max(row[11], word_stories.get(row[6], 0)))))
    return result


def _suggestion(query, parts):
    pieces, position = [], 0
    for (start, end), replacement in sorted(parts.items()):
        span_start, span_end = query.spans[start][0], query.spans[end - 1][1]
        pieces.append(query.raw[position:span_start])
        pieces.append(replacement)
        position = span_end
    pieces.append(query.raw[position:])
    return " ".join("".join(pieces).split())
