"""The search service behind /search/ and /api/search/ (and `q` on article lists).

``search(q, filters=..., page=..., page_size=...)`` returns a SearchResult: the page
of results (each with a highlighted snippet and a "why"), the total, the entities
the query named (entity cards), a "Did you mean", and facet counts over the whole
result set. A fixed number of queries, whatever the number of results:

    resolve names (1) [+ narrower conditions (1)]
    ranked ids (1) + total and facets (1) + copies among candidates (1)
    + text rank of candidates for other names and words (1; SQLite 2) + the page's articles and links (2)
    + entity cards (2 per kind named) + facet labels (1)
    [+ for a word neither a name nor in any story: typo candidates among the aliases and the
       words stories use (2) and the count again (1)]
    [+ for several words and no name: the count again, each word weighted by its rarity (1)]
"""

import datetime
import functools
import math
import re
from dataclasses import dataclass, field

from django.db.models.expressions import RawSQL
from django.utils.dateparse import parse_datetime

from ..kinds import CONDITION, DRUG_CLASS, KINDS, LINKED_KINDS
from ..models import AliasKind, Article
from ..rows import aliases, entities, page_articles
from ..rows import copies as find_copies
from ..rows import labels as facet_labels
from ..text import normalize, spelling_key
from . import cache, explain, fulltext, ranking, retrieval, snippets
from .query import is_word, parse
from .resolve import Match, correct_typos, resolve

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
FACET_SIZE = 10
SNAPSHOT_FACET_SIZE = 50
NARROWER_SHOWN = 20
MAX_PHRASES = 6  # names of one query part searched in the text
ORDERINGS = {"relevance": "score DESC", "newest": "p DESC", "oldest": "p ASC"}


class PageOutOfRange(Exception):
    """The requested page is past the last page of results."""


@dataclass
class Card:
    """An entity the query named, with what a reader needs to recognise it."""

    kind: str
    entity: object  # a Condition, Drug or Institution (the fields a card shows)
    match: Match
    article_count: int
    narrower: list = field(default_factory=list)  # [(id, name, slug)] included in the results
    members: list = field(default_factory=list)  # a class's member drugs [(id, name, slug)], included
    subclasses: list = field(default_factory=list)  # the classes below a class [(id, name, slug)], included
    aliases: list = field(default_factory=list)  # [(text, normalized, kind, is_brand, is_ambiguous)]

    @property
    def note(self):
        return explain.you_searched(self.match)

    @property
    def brand_names(self):
        """Brand names, never a misspelled one."""
        return sorted(
            {text for text, _, kind, is_brand, *_ in self.aliases if is_brand and kind != AliasKind.MISSPELLING},
            key=str.lower,
        )

    @property
    def other_names(self):
        """Other names worth showing: lay terms first, then the names stories use most; no brands
        (listed apart), no name another entity shares or that is also an everyday word (ambiguous),
        no MeSH inverted forms ("alopecia, androgenic"), no misspellings (they
        match, never show), one of each set of words (plurals and spelling-only differences such
        as "&"/"and" folded)."""

        def words(text):
            return frozenset(word.rstrip("s") for word in spelling_key(text).split())

        seen = {words(self.entity.name)}
        names = []
        for text, _normalized, kind, is_brand, ambiguous, _uses in sorted(
            self.aliases, key=lambda a: (a[2] != AliasKind.LAY, -a[5], "&" in a[0], a[0].count("."), a[0].lower())
        ):
            key = words(text)
            if is_brand or ambiguous or kind == AliasKind.MISSPELLING or "," in text or key in seen:
                continue
            seen.add(key)
            names.append(text)
        return names


@dataclass
class FacetValue:
    param: str  # the filter it sets: "condition", "drug", "institution", "source", "year"
    value: str  # slug or year
    label: str
    count: int
    selected: bool = False


@dataclass
class Hit:
    article: Article
    score: float
    title_html: str
    snippet: str
    why: str
    missing: list = field(default_factory=list)  # the parts of the query the article lacks


@dataclass
class SearchResult:
    query: str
    count: int = 0
    count_capped: bool = False  # more articles match than were counted (a very large result)
    rows: int = 0  # results that can be paged through
    page: int = 1
    page_size: int = PAGE_SIZE
    hits: list = field(default_factory=list)
    cards: list = field(default_factory=list)
    suggestion: str | None = None
    corrected: bool = False
    facets: dict = field(default_factory=lambda: {name: [] for name in retrieval.FACET_KINDS})
    facets_as_of: datetime.datetime | None = None
    notes: list = field(default_factory=list)
    ordering: str = "relevance"
    next: str | None = None  # URLs of the neighbouring pages, set by the API view
    previous: str | None = None

    @property
    def matched(self):
        return {kind.plural: [card for card in self.cards if card.kind == kind.name] for kind in LINKED_KINDS}

    @property
    def facet_sections(self):
        """[(title, [FacetValue, ...])] in display order, empty ones left out."""
        titles = (
            ("condition", "Conditions"),
            ("drug", "Drugs"),
            ("institution", "Institutions"),
            ("source", "Sources"),
            ("year", "Years"),
        )
        return [(title, self.facets[name]) for name, title in titles if self.facets.get(name)]

    @property
    def num_pages(self):
        return max(1, math.ceil(self.rows / self.page_size))

    @property
    def has_next(self):
        return self.page < self.num_pages

    @property
    def has_previous(self):
        return self.page > 1


# --------------------------------------------------------------------------- plan


def day_start(day):
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


def _date_range(filters):
    start = end = None
    if filters.get("published_after"):
        start = day_start(filters["published_after"])
    if filters.get("published_before"):
        end = day_start(filters["published_before"] + datetime.timedelta(days=1))
    if filters.get("year"):
        year = int(filters["year"])
        year_start, year_end = day_start(datetime.date(year, 1, 1)), day_start(datetime.date(year + 1, 1, 1))
        start = max(start, year_start) if start else year_start
        end = min(end, year_end) if end else year_end
    return start, end


def _phrases(group):
    """The group's names as searched in the text: as typed (unless a typo), each matched name."""
    texts = [] if group.fuzzy else [group.typed]
    for match in group.matches:
        texts.extend([match.alias, match.entity.name])
    phrases = []
    for text in texts:
        phrase = normalize(text)
        if phrase and phrase not in phrases and any(is_word(token) for token in phrase.split()):
            phrases.append(phrase)
    return phrases[:MAX_PHRASES]


def build_plan(resolution, filters=None, *, now=None):
    """The retrieval Plan for a Resolution and validated filters (1 query when it names
    conditions, 2 when it names a drug class: its member drugs).

    Each group the query names is a concept, matched through its links or its names in the
    text; other words only lift the rank (``_rank_words``) and are probed for typos, unless the
    query names nothing: then they are searched as text (all of them; see ``search``).
    """
    filters = filters or {}
    conditions = {m.entity.id for g in resolution.groups for m in g.matches if m.entity.kind == CONDITION.name}
    narrower = retrieval.narrower_conditions(conditions) if conditions else {}
    classes = {m.entity.id for g in resolution.groups for m in g.matches if m.entity.kind == DRUG_CLASS.name}
    members, subclasses = retrieval.class_members(classes) if classes else ({}, {})
    plan = retrieval.Plan(now=now, probe=list(resolution.words))
    for group in resolution.groups:
        group.narrower = {m.entity.id: narrower.get(m.entity.id, []) for m in group.entities_matches("condition")}
        group.members = {m.entity.id: members.get(m.entity.id, []) for m in group.entities_matches(DRUG_CLASS.name)}
        group.subclasses = {pk: subclasses.get(pk, []) for pk in group.members}
        branches = []
        for kind in KINDS:
            exact = {e.id for e in group.entities(kind.name)}
            if not exact:
                continue
            ids = sorted(exact)
            if kind is CONDITION:
                ids = sorted(exact | {child for pk in exact for child, _, _ in group.narrower[pk]})
            branches.append(retrieval.Branch(kind.name, ids, exact))
        if group.members:
            exact = set(group.members)
            below = {pk for rows in group.subclasses.values() for pk, _, _ in rows}
            branches.append(retrieval.Branch(DRUG_CLASS.name, sorted(exact | below), exact))
            drug_ids = sorted({pk for drugs in group.members.values() for pk, _, _ in drugs})
            if drug_ids:
                branches.append(retrieval.Branch("drug", drug_ids, set()))
        plan.concepts.append(retrieval.Concept(group.typed, branches, _phrases(group)))
    if not plan.concepts:
        plan.words = list(resolution.words)
    for kind in KINDS:
        entity = filters.get(kind.name)
        if entity is not None:
            plan.groups.append([retrieval.Branch(kind.name, [entity.pk], {entity.pk})])
    source = filters.get("source")
    plan.source_id = source.pk if source is not None else None
    plan.date_from, plan.date_to = _date_range(filters)

    plain = not (plan.groups or plan.source_id or plan.date_from or plan.date_to)
    if len(plan.concepts) == 1 and plain and len(plan.concepts[0].branches) == 1:
        branch = plan.concepts[0].branches[0]
        if len(branch.exact) == 1:
            (entity_id,) = branch.exact
            plan.snapshot_key = (branch.kind, entity_id, len(branch.ids) > 1)
    return plan


def words_as_concepts(plan, counts=None):
    """A words-only plan as one concept per word: the articles holding most of them first,
    never an empty answer while any word is in a story.

    With the plan's `counts` (how many stories hold each word), each word weighs by its
    rarity (``Counts.rarity``): a story holding the rare words of "best way to quit smoking"
    comes before one holding only the common ones, and a word most stories hold is left out
    (it would match nearly everything); one no story holds stays, to say it is missing. When
    some words are rare (``ranking.STRONG_RARITY``), only they are concepts: the others lift
    the rank in ``_order`` and pull in no story. None when no word some story holds is left.
    """
    if counts is None:
        concepts = [retrieval.Concept(word, [], [word]) for word in plan.words]
    else:
        weights = {word: counts.rarity(word) for word in plan.words}
        # Where some words are rare, only they are matched; the others only lift the rank.
        floor = ranking.STRONG_RARITY if max(weights.values(), default=0.0) >= ranking.STRONG_RARITY else 0.0
        concepts = [
            retrieval.Concept(word, [], [word], weights[word])
            for word in plan.words
            if (weights[word] > 0 and weights[word] >= floor) or not counts.holding.get(word)
        ]
        if not any(concept.weight > 0 for concept in concepts):
            return None
    plan.concepts = concepts
    plan.words = []
    return plan


def filter_queryset(queryset, q):
    """Articles of `queryset` matching `q` as search does (names via links, other words via full text)."""
    resolution = resolve(parse(q))
    plan = build_plan(resolution)
    if plan.is_empty:
        return queryset.none()
    sql, params = retrieval.hits_sql(plan, scored=False)
    matching = f"SELECT article_id FROM ({sql}) matching"  # noqa: S608 - constant fragments, values are params
    return queryset.filter(pk__in=RawSQL(matching, params))  # noqa: S611


# --------------------------------------------------------------------------- search


def search(q="", *, filters=None, page=1, page_size=PAGE_SIZE, ordering="relevance", now=None):
    """The SearchResult for query `q` and validated `filters` (see the module docstring)."""
    filters = filters or {}
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    page = max(1, int(page))
    ordering = ordering if ordering in ORDERINGS else "relevance"
    query = parse(q)
    resolution = cache.resolved(query, resolve)
    result = SearchResult(query=query.raw, page=page, page_size=page_size, ordering=ordering)
    plan = build_plan(resolution, filters, now=now)
    if plan.is_empty:
        result.cards = _cards(resolution.groups)
        return result

    # Counted first (with which left-over words some story holds): a word that is neither a
    # name nor in any story is a typo candidate. Each count brings its plan's first results
    # (`top`), so that the plan that stands needs no statement of its own to be ranked.
    top = (max(ranking.CANDIDATES, page * page_size), ORDERINGS[ordering])
    counts = cache.counts(plan, retrieval.counts, top)
    absent = [word for word in plan.probe if word not in counts.present]
    if counts.total == 0 or absent:
        corrected = correct_typos(query, resolution, absent=absent)
        if corrected is not None:
            result.suggestion, result.corrected = corrected.suggestion, corrected.corrected
            if corrected.corrected:
                resolution = corrected
                plan = build_plan(resolution, filters, now=now)
                counts = cache.counts(plan, retrieval.counts, top)
    if len(plan.words) > 1 and not plan.concepts:
        # Several words and no name: each word lifts by its rarity, none excludes a story.
        weighted = words_as_concepts(plan, counts)
        if weighted is not None:
            plan, counts = weighted, cache.counts(weighted, retrieval.counts, top)
        elif counts.total == 0:
            plan = words_as_concepts(plan)
            counts = cache.counts(plan, retrieval.counts, top)
    result.count, result.count_capped, result.rows = counts.total, counts.capped, counts.rows
    result.facets_as_of = _as_of(counts.as_of)
    if page > 1 and (page - 1) * page_size >= counts.rows:
        raise PageOutOfRange(page)

    order = _order(counts.top, resolution, plan, ordering, counts)
    page_ids = [article_id for article_id, _ in order[(page - 1) * page_size : page * page_size]]
    scores = dict(order)
    articles = {a.pk: a for a in page_articles(page_ids)}
    result.cards = _cards(resolution.groups)
    highlighter = _highlighter(resolution, result.cards)
    concepts = _concepts(resolution, plan)
    for article_id in page_ids:
        article = articles.get(article_id)
        if article is not None:
            result.hits.append(_hit(article, scores[article_id], resolution, highlighter, concepts))
    if len(concepts) > 1 and result.hits and result.hits[0].missing:
        names = _names([concept for concept, _ in concepts])
        result.notes.append(f"No article matches all of {names}; the closest matches come first.")
    result.facets = _facet_values(counts.facets, filters)
    return result


def _names(concepts):
    return " and ".join(f"“{c.label}”" for c in concepts)


def _concepts(resolution, plan):
    """[(label, group or None, phrases)] of the parts a result may match or lack."""
    groups = {group.typed: group for group in resolution.groups}
    return [(concept, groups.get(concept.label)) for concept in plan.concepts]


def _as_of(value):
    if value is None or isinstance(value, datetime.datetime):
        return value
    parsed = parse_datetime(value)
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed


def _order(ranked, resolution, plan, ordering, counts):
    """Stage two on the candidate window (relevance order only); the rest as ranked.

    Other words typed beside the names lift a result by how rare they are in the stories
    (``Counts.rarity``): the words most stories hold lift nothing. A result that matched
    the names in its text alone (no link says how it uses them) is lifted by the text rank
    of those names, so that a story about the drug comes before one naming it in passing.
    """
    if ordering != "relevance":
        return ranked
    window = ranked[: ranking.CANDIDATES]
    ids = [article_id for article_id, _ in window]
    copies = find_copies(ids)
    lifts = []
    words_only = bool(plan.concepts) and not resolution.groups  # no name: stage one has no text rank
    words, weight = (_rank_words(resolution), ranking.TEXT_WEIGHT) if resolution.groups or words_only else ([], 0.0)
    if resolution.words and words:
        rarity = {word: counts.rarity(word) for word in words}
        words = [word for word in words if rarity[word] > 0]
        weight = ranking.WORDS_WEIGHT * max((rarity[word] for word in words), default=0.0)
    if words:
        lifts.append((fulltext.rank(words, ids), weight))
    if plan.concepts and not words_only:
        unlinked = [article_id for article_id in ids if article_id in counts.unlinked]
        names = list(dict.fromkeys(phrase for concept in plan.concepts for phrase in concept.phrases))[:12]
        if unlinked and names:
            lifts.append((fulltext.rank(names, unlinked), ranking.TEXT_STRENGTH))
    return ranking.rerank(window, lifts=lifts, copies=copies) + ranked[ranking.CANDIDATES :]


def _rank_words(resolution):
    """Words whose presence in the text raises an entity result.

    Other words typed beside the names, when there are any; else other names typed
    ("Jakafi" for ruxolitinib). An entity's
    own name does not need the full-text index: its link already says how often the
    article mentions it and whether in the title.
    """
    words = list(resolution.words)
    if words:
        return words[:12]
    for group in resolution.groups:
        if all(m.is_own_name for m in group.matches):
            continue
        texts = [m.alias for m in group.matches] if group.fuzzy else [group.typed]
        for text in texts:
            for word in parse(text).words:
                if word not in words:
                    words.append(word)
    return words[:12]


def _highlighter(resolution, cards):
    anchors = [*resolution.words]
    for group in resolution.groups:
        anchors.append(group.typed)
        for match in group.matches:
            anchors.extend([match.alias, match.entity.name])
    others = []
    for group in resolution.groups:
        for children in group.narrower.values():
            others.extend(name for _, name, _ in children[:50])
    for card in cards:
        others.extend(text for text, _normalized, _kind, _brand, ambiguous, _uses in card.aliases if not ambiguous)
    return snippets.Highlighter(others, anchor_texts=anchors)


@functools.lru_cache(maxsize=256)
def _phrase_pattern(phrase):
    """A phrase of normalised words as a regular expression over raw text: whole words, in
    order, anything but letters and digits between them (C speed; no normalising of bodies)."""
    words = [re.escape(word) for word in phrase.split()]
    return re.compile(r"(?<![^\W_])" + r"[\W_]+".join(words) + r"(?![^\W_])", re.IGNORECASE)


def _holds(text, phrase):
    return _phrase_pattern(phrase).search(text) is not None


def _hit(article, score, resolution, highlighter, concepts=()):
    anchors = []
    for group in resolution.groups:
        for _match, link, _narrower in explain.group_links(article, group):
            anchors.append(link.first_offset)
    text = f"{article.title}\n{article.summary}\n{article.body}"
    missing, text_only = [], []
    for concept, group in concepts:
        if group is not None and explain.group_links(article, group):
            continue
        found = next((phrase for phrase in concept.phrases if _holds(text, phrase)), None)
        if found:
            text_only.append(found)
        else:
            missing.append(concept.label)
    words = [w for w in resolution.words if w not in text_only and _holds(text, w)]
    return Hit(
        article=article,
        score=score,
        title_html=highlighter.highlight(article.title),
        snippet=highlighter.snippet(article.body, anchors=anchors, summary=article.summary),
        why=explain.why(article, resolution.groups, [*text_only, *words]),
        missing=missing,
    )


# --------------------------------------------------------------------------- cards and facets


def _cards(groups):
    """Entity cards for what the query named: fields, public article count, names (two queries)."""
    matches = [m for g in groups for m in g.matches]
    if not matches:
        return []
    below = {
        id(m): (g.narrower.get(m.entity.id, []), g.members.get(m.entity.id, []), g.subclasses.get(m.entity.id, []))
        for g in groups
        for m in g.matches
    }
    ids = {}
    for match in matches:
        ids.setdefault(match.entity.kind, []).append(match.entity.id)
    found = entities(ids)
    names = aliases(ids)
    cards = []
    for match in matches:
        key = (match.entity.kind, match.entity.id)
        entity = found.get(key)
        if entity is not None:
            narrower, members, subclasses = below[id(match)]
            cards.append(
                Card(
                    match.entity.kind,
                    entity,
                    match,
                    entity.article_count,
                    narrower=narrower,
                    aliases=names.get(key, []),
                    members=members,
                    subclasses=subclasses,
                )
            )
    return cards


def _facet_values(facets, filters):
    """FacetValue lists with labels (one query for the names)."""
    shown = {name: pairs[:FACET_SIZE] for name, pairs in facets.items()}
    labels = facet_labels({name: [value for value, _ in pairs] for name, pairs in shown.items() if name != "year"})
    result = {}
    for name, pairs in shown.items():
        selected = filters.get(name)
        values = []
        for value, count in pairs:
            if name == "year":
                values.append(FacetValue("year", str(value), str(value), count, selected == int(value)))
                continue
            label = labels.get((name, value))
            if label is None:
                continue
            slug, title = label
            values.append(FacetValue(name, slug, title, count, selected is not None and selected.slug == slug))
        result[name] = values
    return result


def snapshot_facets(counts):
    """What a FacetSnapshot stores: the top counts per facet (years all)."""
    return {
        name: [list(pair) for pair in (pairs if name == "year" else pairs[:SNAPSHOT_FACET_SIZE])]
        for name, pairs in counts.facets.items()
    }
