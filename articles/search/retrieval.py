"""Which articles a search returns, in what order, and their facet counts — in SQL.

A plan is a list of groups (an article must match every group) plus words searched
as full text and filters. A group is one or more entities, each read through its
link table: only links of public articles (``published`` is the article's date,
copied onto the link while the article is public) that are not rejected.

Where the rows come from, cheapest first:
- entity groups: the link tables, through the covering partial index
  ``(entity, published) INCLUDE (article_id, status, mention_count, in_title,
  confidence) WHERE published IS NOT NULL`` (migration 0005) — the article table is
  not read at all;
- words only: modelsearch's full-text index;
- filters only (a source, a year): the article table.

The score of an article is computed in the same statement (see ``ranking``), so the
database returns only the best few hundred ids; facets and the total come from one
more statement over the same rows.
"""

# SQL here is assembled from constant fragments (table and column names); values are parameters.
# ruff: noqa: S608

import datetime
import json
import math
from dataclasses import dataclass, field

from django.db import connection

from ..kinds import KINDS, LINKED_BY_NAME
from ..models import (
    Article,
    ArticleStatus,
    ConditionTreeNumber,
    DrugClass,
    DrugClassMember,
    FacetSnapshot,
    LinkStatus,
    public_link_sql,
)
from . import fulltext, ranking

MAX_NARROWER = 2000  # narrower conditions a condition query may include
# Work caps for very large results (a broad condition with hundreds of narrower ones,
# a common word): only the newest link rows of such a branch, and the most recently
# indexed articles holding the words, are ranked and counted; facets come from a
# snapshot of the whole set when there is one (younger than SNAPSHOT_MAX_AGE), else
# they count the capped rows, and the total is then a lower bound (Counts.capped).
LINK_CAP = 5_000
TEXT_CAP = 2_000
SNAPSHOT_MAX_AGE = datetime.timedelta(hours=24)
FACET_KINDS = ("condition", "drug", "institution", "source", "year")
ARTICLE_TABLE = Article._meta.db_table
SNAPSHOT_TABLE = FacetSnapshot._meta.db_table


PUBLIC_LINK = public_link_sql()
PUBLISHED = f"status = '{ArticleStatus.PUBLISHED}'"


@dataclass
class Branch:
    """Entities of one kind whose links put an article in a group."""

    kind: str
    ids: list  # every entity id that counts (matched ones and narrower ones)
    exact: set  # the matched ones; the others weigh ranking.NARROWER_WEIGHT

    @property
    def table(self):
        return LINKED_BY_NAME[self.kind].link_table

    @property
    def column(self):
        return LINKED_BY_NAME[self.kind].column


@dataclass
class Concept:
    """A part of the query: its entities' links, and its names as text (article_id rows of either).

    Articles match a plan's concepts partially: those matching every concept rank first, then
    those matching fewer (``ranking.CONCEPT_TIER``); a linked match above a text-only one.
    """

    label: str  # as typed, for "Missing: …"
    branches: list = field(default_factory=list)  # [Branch, ...]
    phrases: list = field(default_factory=list)  # normalised names searched in titles and bodies
    weight: float = 1.0  # of CONCEPT_TIER when matched (a word of a words-only query: its rarity)


@dataclass
class Plan:
    groups: list = field(default_factory=list)  # [[Branch, ...], ...]: AND of ORs (filters)
    concepts: list = field(default_factory=list)  # [Concept, ...]: ranked by how many match
    words: list = field(default_factory=list)  # normalised words every article must contain
    source_id: int | None = None
    date_from: datetime.datetime | None = None  # inclusive
    date_to: datetime.datetime | None = None  # exclusive
    now: datetime.datetime | None = None
    snapshot_key: tuple | None = None  # (kind, entity id, narrower) when facets may come precomputed
    uncapped: bool = False  # every row, however many (for counting snapshots ahead)
    probe: list = field(default_factory=list)  # words whose presence in any story `counts` reports

    @property
    def is_empty(self):
        return not (self.concepts or self.groups or self.words or self.source_id or self.date_from or self.date_to)

    @property
    def now_days(self):
        now = self.now or datetime.datetime.now(datetime.UTC)
        return now.timestamp() / 86400.0


# --------------------------------------------------------------------------- narrower conditions


def narrower_conditions(condition_ids):
    """{condition id: [(id, name, slug), ...]} of the conditions below each in MeSH (one query;
    the branch as condition pages count it: ``ConditionTreeNumber.branches``), at most
    MAX_NARROWER each, so that one condition with many narrower ones does not take the others' share."""
    return ConditionTreeNumber.branches(condition_ids, limit=MAX_NARROWER)


def class_members(class_ids):
    """({class id: [(drug id, name, slug), ...]}, {class id: [(class id, name, slug), ...]}): the
    drugs of each class and of every class below it, and the classes below it, by name (two
    queries; the class table is small)."""
    children, classes = {}, {}
    for pk, parent_id, name, slug in DrugClass.objects.values_list("id", "parent_id", "name", "slug"):
        classes[pk] = (pk, name, slug)
        children.setdefault(parent_id, []).append(pk)
    below = {}
    for pk in set(class_ids):
        seen, todo = {pk}, [pk]
        while todo:
            for child in children.get(todo.pop(), []):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        below[pk] = seen
    subclasses = {pk: sorted((classes[c] for c in ids - {pk}), key=lambda row: row[1]) for pk, ids in below.items()}
    narrower_ids = set().union(*below.values()) if below else set()
    members = (
        DrugClassMember.objects.filter(drug_class_id__in=narrower_ids)
        .order_by("drug__name")
        .values_list("drug_class_id", "drug_id", "drug__name", "drug__slug")
    )
    result = {pk: [] for pk in below}
    for class_id, drug_id, name, slug in members:
        for owner, ids in below.items():
            if class_id in ids and all(drug_id != pk for pk, _, _ in result[owner]):
                result[owner].append((drug_id, name, slug))
    return result, subclasses


# --------------------------------------------------------------------------- SQL pieces


def _days(column):
    """Days since 1970 of a timestamp column, as a float."""
    if connection.vendor == "postgresql":
        return f"(date_part('epoch', {column}) / 86400.0)"
    return f"(julianday({column}) - 2440587.5)"


def _year(column):
    if connection.vendor == "postgresql":
        return f"CAST(date_part('year', {column} AT TIME ZONE 'UTC') AS integer)"
    return f"CAST(strftime('%%Y', {column}) AS integer)"


def _recency(column, plan):
    age = f"(%s - {_days(column)})"
    sql = f"({ranking.RECENCY_WEIGHT} / (1.0 + (CASE WHEN {age} > 0 THEN {age} ELSE 0 END) / {ranking.HALF_LIFE_DAYS}))"
    return sql, [plan.now_days, plan.now_days]


def _in(values):
    return ", ".join(["%s"] * len(values)), list(values)


def _when(value):
    """A datetime as the database compares it (SQLite stores UTC text)."""
    return connection.ops.adapt_datetimefield_value(value)


def _date_sql(plan, column):
    sql, params = "", []
    if plan.date_from:
        sql += f" AND {column} >= %s"
        params.append(_when(plan.date_from))
    if plan.date_to:
        sql += f" AND {column} < %s"
        params.append(_when(plan.date_to))
    return sql, params


def _article_filters(plan, column):
    """(sql, params) of `AND ...` conditions on an article id column: source and words."""
    sql, params = "", []
    if plan.source_id:
        sql += f" AND {column} IN (SELECT id FROM {ARTICLE_TABLE} WHERE {PUBLISHED} AND source_id = %s)"
        params.append(plan.source_id)
    if plan.words:
        words_sql, words_params = fulltext.matching_ids(plan.words)
        sql += f" AND {column} IN ({words_sql})"
        params.extend(words_params)
    if plan.concepts:  # the filters' entities (with concepts, the groups are filters only)
        for group in plan.groups:
            ors = []
            for branch in group:
                placeholders, ids = _in(branch.ids)
                ors.append(
                    f"SELECT article_id FROM {branch.table} WHERE {branch.column} IN ({placeholders}) AND {PUBLIC_LINK}"
                )
                params.extend(ids)
            sql += f" AND {column} IN ({' UNION '.join(ors)})"
    return sql, params


def _branch_sql(plan, index, branch, *, scored):
    """Rows (article_id, g, s, p) of one branch: its best link per article."""
    placeholders, params = _in(branch.ids)
    dates, date_params = _date_sql(plan, "published")
    strength = ranking.STRENGTH_SQL
    if not branch.exact:  # only narrower entities (a class's member drugs)
        strength, exact_params = f"({strength}) * {ranking.NARROWER_WEIGHT}", []
    elif set(branch.ids) - branch.exact:
        exact, exact_params = _in(sorted(branch.exact))
        weight = f"CASE WHEN {branch.column} IN ({exact}) THEN 1.0 ELSE {ranking.NARROWER_WEIGHT} END"
        strength = f"({strength}) * ({weight})"
    else:
        exact_params = []
    link_score = strength if scored else "0"
    newest = (
        f"SELECT article_id, {link_score} AS s, published AS p FROM {branch.table} "
        f"WHERE {branch.column} IN ({placeholders}) AND {PUBLIC_LINK}{dates}"
        + ("" if plan.uncapped else f" ORDER BY published DESC LIMIT {LINK_CAP}")
    )
    sql = f"SELECT article_id, {index} AS g, MAX(s) AS s, MAX(p) AS p FROM ({newest}) newest GROUP BY article_id"
    return sql, (exact_params if scored else []) + params + date_params


def _branch_capped(plan, branch):
    """(sql, params): 1 when the branch has more public links than LINK_CAP, else 0."""
    placeholders, params = _in(branch.ids)
    dates, date_params = _date_sql(plan, "published")
    sql = (
        f"(SELECT COUNT(*) FROM (SELECT 1 FROM {branch.table} WHERE {branch.column} IN ({placeholders}) "
        f"AND {PUBLIC_LINK}{dates} LIMIT {LINK_CAP + 1}) over_cap) > {LINK_CAP}"
    )
    return sql, params + date_params


def _links_abound(plan, concept):
    """(sql, params) of a boolean: some branch of the concept has more public links than
    LINK_CAP (its link rows are cut there); None for a concept without branches."""
    parts, params = [], []
    for branch in concept.branches:
        sql, branch_params = _branch_capped(plan, branch)
        parts.append(sql)
        params.extend(branch_params)
    return ("(" + " OR ".join(parts) + ")", params) if parts else None


def capped_sql(plan, shared=None):
    """(sql, params) of a boolean: the plan's rows were cut at a work cap (see LINK_CAP, TEXT_CAP).

    `shared`: {concept index: CTE name} of the concepts' text rows (see shared_phrases)."""
    if plan.uncapped:
        return "(1 = 0)", []
    shared = shared or {}
    if plan.concepts:
        parts, params = [], []
        for index, concept in enumerate(plan.concepts):
            abound = _links_abound(plan, concept)
            if abound:
                parts.append(abound[0])
                params.extend(abound[1])
            if index in shared:
                parts.append(f"(SELECT COUNT(*) FROM {shared[index]}) > {TEXT_CAP}")
            elif concept.phrases:
                sql, text_params = _phrase_rows(plan, index, concept.phrases, limit=TEXT_CAP + 1)
                parts.append(f"(SELECT COUNT(*) FROM ({sql}) over_cap) > {TEXT_CAP}")
                params.extend(text_params)
        return ("(" + " OR ".join(parts) + ")", params) if parts else ("(1 = 0)", [])
    if plan.groups:
        if len(plan.groups) == 1 and len(plan.groups[0]) == 1 and len(plan.groups[0][0].ids) == 1:
            return "(1 = 0)", []  # one entity: never capped
        parts, params = [], []
        for group in plan.groups:
            for branch in group:
                sql, branch_params = _branch_capped(plan, branch)
                parts.append(sql)
                params.extend(branch_params)
        return "(" + " OR ".join(parts) + ")", params
    if plan.words:
        return f"((SELECT COUNT(*) FROM r) >= {TEXT_CAP})", []
    return "(1 = 0)", []


def hits_sql(plan, *, scored=True, shared=None):
    """(sql, params) of the result rows: (article_id, score, p), one per article.

    `shared`: {concept index: CTE name} of the concepts' text rows (see shared_phrases)."""
    if plan.concepts:
        return _concept_hits(plan, scored=scored, shared=shared or {})
    if plan.groups:
        return _link_hits(plan, scored=scored)
    if plan.words:
        return _text_hits(plan, scored=scored)
    return _article_hits(plan, scored=scored)


def _link_hits(plan, *, scored):
    if len(plan.groups) == 1 and len(plan.groups[0]) == 1 and len(plan.groups[0][0].ids) == 1:
        # One entity: one index range, no grouping (a link is unique per article and entity).
        branch = plan.groups[0][0]
        dates, date_params = _date_sql(plan, "published")
        filters, filter_params = _article_filters(plan, "article_id")
        if scored:
            recency, recency_params = _recency("published", plan)
            score = f"{ranking.STRENGTH_SQL} + {recency}"
        else:
            score, recency_params = "0", []
        sql = (
            f"SELECT article_id, {score} AS score, published AS p FROM {branch.table} "
            f"WHERE {branch.column} = %s AND {PUBLIC_LINK}{dates}{filters}"
        )
        return sql, [*recency_params, branch.ids[0], *date_params, *filter_params]

    parts, params = [], []
    for index, group in enumerate(plan.groups):
        branch_parts = [_branch_sql(plan, index, branch, scored=scored) for branch in group]
        if len(branch_parts) == 1:
            parts.append(branch_parts[0][0])
            params.extend(branch_parts[0][1])
        else:
            union = " UNION ALL ".join(sql for sql, _ in branch_parts)
            parts.append(f"SELECT article_id, g, MAX(s) AS s, MAX(p) AS p FROM ({union}) b GROUP BY article_id, g")
            for _, branch_params in branch_parts:
                params.extend(branch_params)
    filters, filter_params = _article_filters(plan, "article_id")
    if scored:
        recency, recency_params = _recency("MAX(p)", plan)
        score = f"SUM(s) + {recency}"
    else:
        score, recency_params = "0", []
    having = "" if len(plan.groups) == 1 else f" HAVING COUNT(DISTINCT g) = {len(plan.groups)}"
    sql = (
        f"SELECT article_id, {score} AS score, MAX(p) AS p FROM ({' UNION ALL '.join(parts)}) hits "
        f"WHERE 1 = 1{filters} GROUP BY article_id{having}"
    )
    return sql, [*recency_params, *params, *filter_params]


def _rejected(branches):
    """(sql, params) of `AND ...`: the article has no link to these entities an editor rejected.

    A NOT EXISTS, so that the planner may anti-join the few rejected links to the candidates:
    PostgreSQL planned the `NOT IN (subquery)` form as a hashed filter over a walk of the whole
    article index (41 ms for a drug's name at 100k articles, 8 ms this way)."""
    sql, params = "", []
    for branch in branches:
        if not branch.exact:
            continue
        placeholders, ids = _in(branch.exact)
        sql += (
            f" AND NOT EXISTS (SELECT 1 FROM {branch.table} rejected WHERE rejected.article_id = a.id "
            f"AND rejected.{branch.column} IN ({placeholders}) AND rejected.status = '{LinkStatus.REJECTED}')"
        )
        params.extend(ids)
    return sql, params


def _phrase_rows(plan, index, phrases, *, limit, branches=(), entry=False, unless=None):
    """(sql, params) of rows (article_id, g, s, p, l) of public articles whose title or body
    holds any of `phrases`: the `limit` most recently indexed (None: all). An article whose
    link to one of the `branches`' entities an editor rejected is not among them. With
    `entry`, a sixth column e: the index row's id (the newer, the higher). With `unless`
    (sql, params of a condition on nothing but constants), no rows when it holds."""
    dates, date_params = _date_sql(plan, "a.published")
    rejected, rejected_params = _rejected(branches)
    dates += rejected
    date_params = [*date_params, *rejected_params]
    if unless:
        dates += f" AND NOT {unless[0]}"
        date_params.extend(unless[1])
    cap = "" if limit is None else f" LIMIT {int(limit)}"
    select = f"SELECT a.id AS article_id, {int(index)} AS g, {ranking.TEXT_ONLY} AS s, a.published AS p, 0 AS l"
    if connection.vendor == "postgresql":
        select += ", ie.id AS e" if entry else ""
        condition, params = fulltext.phrase_condition(phrases)
        sql = (
            f"{select} FROM {fulltext.INDEX} ie JOIN {ARTICLE_TABLE} a ON a.id = CAST(ie.object_id AS bigint) "
            f"WHERE ie.content_type_id = {fulltext.ARTICLE_TYPE} AND {condition} AND a.{PUBLISHED}{dates} "
            f"ORDER BY ie.id DESC{cap}"
        )
        return f"SELECT * FROM ({sql}) phrase_rows", [*params, *date_params]
    fts = fulltext.FTS
    select += f", {fts}.rowid AS e" if entry else ""
    sql = (
        f"{select} FROM {fts} JOIN {fulltext.INDEX} ie ON ie.id = {fts}.rowid "
        f"JOIN {ARTICLE_TABLE} a ON a.id = CAST(ie.object_id AS integer) "
        f"WHERE {fts} MATCH %s AND ie.content_type_id = {fulltext.ARTICLE_TYPE} AND a.{PUBLISHED}{dates} "
        f"ORDER BY {fts}.rowid DESC{cap}"
    )
    return f"SELECT * FROM ({sql}) phrase_rows", [fulltext.fts5_query(phrases, "OR"), *date_params]


def shared_phrases(plan):
    """([CTE, ...], params, {concept index: CTE name}): each concept's text rows, the
    TEXT_CAP + 1 most recently indexed, for one statement to read them once both as
    result rows (the TEXT_CAP newest) and for its cap (more than TEXT_CAP). None for an
    uncapped plan (every row is read once anyway)."""
    ctes, params, names = [], [], {}
    if plan.uncapped:
        return ctes, params, names
    # A query of one concept with more links than LINK_CAP (a popular drug at scale) has
    # thousands of linked stories ranked above any text-only one: its names are not looked up
    # in the text, where finding the newest matches means testing every story's body vector
    # back to them (0.5-1.3 s for a name 1-3 % of a million stories hold).
    unless = _links_abound(plan, plan.concepts[0]) if len(plan.concepts) == 1 else None
    for index, concept in enumerate(plan.concepts):
        if concept.phrases:
            sql, text_params = _phrase_rows(
                plan, index, concept.phrases, limit=TEXT_CAP + 1, branches=concept.branches, entry=True, unless=unless
            )
            names[index] = f"text_{index}"
            ctes.append(f"{names[index]} AS MATERIALIZED ({sql})")
            params.extend(text_params)
    return ctes, params, names


def _concept_hits(plan, *, scored, shared):
    """Articles matching any concept, through its links or its names in the text; the more
    concepts matched (and the more by links) the higher (see ``ranking``)."""
    parts, params = [], []
    text_limit = None if plan.uncapped else TEXT_CAP
    for index, concept in enumerate(plan.concepts):
        for branch in concept.branches:
            sql, branch_params = _branch_sql(plan, index, branch, scored=scored)
            parts.append(f"SELECT article_id, g, s, p, 1 AS l FROM ({sql}) linked")
            params.extend(branch_params)
        if index in shared:
            newest = f"SELECT article_id, g, s, p, l FROM {shared[index]} ORDER BY e DESC LIMIT {TEXT_CAP}"
            parts.append(f"SELECT * FROM ({newest}) newest_text")
        elif concept.phrases:
            sql, text_params = _phrase_rows(plan, index, concept.phrases, limit=text_limit, branches=concept.branches)
            parts.append(sql)
            params.extend(text_params)
    per_concept = (
        "SELECT article_id, g, MAX(s) AS s, MAX(p) AS p, MAX(l) AS l "
        f"FROM ({' UNION ALL '.join(parts)}) rows_ GROUP BY article_id, g"
    )
    filters, filter_params = _article_filters(plan, "article_id")
    if scored:
        recency, recency_params = _recency("MAX(p)", plan)
        matched = "COUNT(*)"
        if any(concept.weight != 1.0 for concept in plan.concepts):
            weights = " ".join(f"WHEN {i} THEN {float(c.weight)!r}" for i, c in enumerate(plan.concepts))
            matched = f"SUM(CASE g {weights} ELSE 0.0 END)"
        score = f"{ranking.CONCEPT_TIER} * {matched} + {ranking.LINKED_TIER} * SUM(l) + SUM(s) + {recency}"
    else:
        score, recency_params = "0", []
    sql = (
        f"SELECT article_id, {score} AS score, MAX(p) AS p, SUM(l) AS linked FROM ({per_concept}) concepts "
        f"WHERE 1 = 1{filters} GROUP BY article_id"
    )
    return sql, [*recency_params, *params, *filter_params]


def _text_hits(plan, *, scored):
    """Articles holding every word: the TEXT_CAP most recently indexed, with their text rank."""
    dates, date_params = _date_sql(plan, "a.published")
    source = " AND a.source_id = %s" if plan.source_id else ""
    filter_params = [*date_params, *([plan.source_id] if plan.source_id else [])]
    if connection.vendor == "postgresql":
        conditions, condition_params = fulltext.word_conditions(plan.words)
        newest = (
            f"SELECT ie.id AS entry, a.id AS article_id, a.published AS p FROM {fulltext.INDEX} ie "
            f"JOIN {ARTICLE_TABLE} a ON a.id = CAST(ie.object_id AS bigint) "
            f"WHERE ie.content_type_id = {fulltext.ARTICLE_TYPE} AND {conditions} AND a.{PUBLISHED}{dates}{source} "
            + ("" if plan.uncapped else f"ORDER BY ie.id DESC LIMIT {TEXT_CAP}")
        )
        if not scored:
            return f"SELECT article_id, 0 AS score, p FROM ({newest}) newest", [*condition_params, *filter_params]
        rank_sql, rank_params = fulltext.rank_expression(plan.words)
        matches = (
            f"SELECT newest.article_id, {rank_sql} AS r, newest.p FROM ({newest}) newest "
            f"JOIN {fulltext.INDEX} ie ON ie.id = newest.entry"
        )
        match_params = [*rank_params, *condition_params, *filter_params]
    else:
        fts = fulltext.FTS
        rank_sql, rank_params = fulltext.rank_expression(plan.words) if scored else ("0", [])
        matches = (
            f"SELECT a.id AS article_id, {rank_sql} AS r, a.published AS p FROM {fts} "
            f"JOIN {fulltext.INDEX} ie ON ie.id = {fts}.rowid "
            f"JOIN {ARTICLE_TABLE} a ON a.id = CAST(ie.object_id AS integer) "
            f"WHERE {fts} MATCH %s AND ie.content_type_id = {fulltext.ARTICLE_TYPE} AND a.{PUBLISHED}{dates}{source} "
            + ("" if plan.uncapped else f"ORDER BY {fts}.rowid DESC LIMIT {TEXT_CAP}")
        )
        match_params = [*rank_params, fulltext.fts5_query(plan.words), *filter_params]
        if not scored:
            return f"SELECT article_id, 0 AS score, p FROM ({matches}) newest", match_params
    recency, recency_params = _recency("p", plan)
    sql = (
        f"SELECT article_id, {ranking.TEXT_WEIGHT} * r / (CASE WHEN MAX(r) OVER () > 0 "
        f"THEN MAX(r) OVER () ELSE 1 END) + {recency} AS score, p FROM ({matches}) m"
    )
    return sql, [*recency_params, *match_params]


def _article_hits(plan, *, scored):
    dates, date_params = _date_sql(plan, "published")
    source = " AND source_id = %s" if plan.source_id else ""
    source_params = [plan.source_id] if plan.source_id else []
    recency, recency_params = _recency("published", plan) if scored else ("0", [])
    sql = (
        f"SELECT id AS article_id, {recency} AS score, published AS p FROM {ARTICLE_TABLE} "
        f"WHERE {PUBLISHED} AND published IS NOT NULL{dates}{source}"
    )
    return sql, [*recency_params, *date_params, *source_params]


# --------------------------------------------------------------------------- queries


@dataclass
class Counts:
    total: int  # articles in the result (a lower bound when capped and no snapshot says more)
    facets: dict  # {"condition": [(id, count), ...], ..., "year": [(2024, count), ...]}
    rows: int = 0  # result rows that can be paged through (the capped ones)
    capped: bool = False  # the rows were cut at a work cap
    as_of: datetime.datetime | None = None  # when precomputed counts were taken, else None (live)
    documents: int = 0  # stories in the full-text index
    holding: dict = field(default_factory=dict)  # {probe word: stories holding it, up to a common share}
    top: list = field(default_factory=list)  # [(article id, score), ...] in the asked order (counts' `top`)
    unlinked: set = field(default_factory=set)  # ids in `top` that matched a concept plan by text alone

    @property
    def present(self):
        """The plan's probe words that some story holds."""
        return {word for word, count in self.holding.items() if count}

    def rarity(self, word):
        """0 for a word a common share of the stories hold (or none), up to 1 for a rare one:
        its inverse document frequency over that of a word in one story of RARE_RATIO (or of
        the whole index, when it holds fewer)."""
        count = self.holding.get(word, 0)
        if not count or not self.documents or count > self.documents * ranking.COMMON_SHARE:
            return 0.0
        full = math.log(min(ranking.RARE_RATIO, self.documents))  # a small index: one story is rare
        return min(1.0, math.log(self.documents / count) / full) if full > 0 else 1.0


def counts(plan, top=None):
    """The number of results and facet counts over all of them (one query); with `top`
    (limit, order: an ORDER BY over score and p), also the first `limit` results in that
    order (Counts.top), so that the rows are found once for the count, the facets and the page.

    The result rows are materialised once; each facet then looks up the links of
    those rows through the link table's (article_id) index — "article_id IN
    (SELECT article_id FROM counted)" keeps SQLite looping over the results rather
    than scanning a link table.

    With a snapshot key, a FacetSnapshot is used when it is fresh: its total within
    the allowed drift of the live one, or — for rows cut at a work cap, whose live
    total is unknown — younger than SNAPSHOT_MAX_AGE. Then its counts (and total)
    are returned and the facet branches are skipped by the database (one-time test).
    """
    text_ctes, text_params, shared = shared_phrases(plan)
    hits, params = hits_sql(plan, scored=top is not None, shared=shared)
    capped, capped_params = capped_sql(plan, shared)
    snapshot = plan.snapshot_key
    drift = (
        f"CASE WHEN total * {ranking.SNAPSHOT_DRIFT} > {ranking.SNAPSHOT_DRIFT_MIN} "
        f"THEN total * {ranking.SNAPSHOT_DRIFT} ELSE {ranking.SNAPSHOT_DRIFT_MIN} END"
    )
    ctes = f", cut AS MATERIALIZED (SELECT CASE WHEN {capped} THEN 1 ELSE 0 END AS capped)"
    cte_params = list(capped_params)
    if snapshot:
        fresh = (
            f"SELECT facets, built_at, total FROM {SNAPSHOT_TABLE} WHERE kind = %s AND entity_id = %s "
            "AND narrower = %s AND CASE WHEN (SELECT capped FROM cut) = 1 THEN built_at >= %s "
            f"ELSE ABS(total - (SELECT COUNT(*) FROM r)) <= {drift} END"
        )
        # The rows to count live: none when the snapshot is fresh (a one-time test on
        # both databases, so that no link is read for a precomputed result set).
        ctes += (
            f", fresh AS MATERIALIZED ({fresh}), "
            "counted AS MATERIALIZED (SELECT article_id, p FROM r WHERE NOT EXISTS (SELECT 1 FROM fresh))"
        )
        oldest = (plan.now or datetime.datetime.now(datetime.UTC)) - SNAPSHOT_MAX_AGE
        cte_params += [snapshot[0], snapshot[1], bool(snapshot[2]), _when(oldest)]
    else:
        ctes += ", counted AS MATERIALIZED (SELECT article_id, p FROM r)"
    json_text = "CAST(facets AS text)" if connection.vendor == "postgresql" else "facets"
    # Rows (name, value, payload, position): position orders the top rows only.
    parts = ["SELECT 'rows', (SELECT COUNT(*) FROM r), NULL, 0", "SELECT 'capped', capped, NULL, 0 FROM cut"]
    if snapshot:
        parts.append(f"SELECT 'snapshot', total, {json_text}, 0 FROM fresh")
        parts.append("SELECT 'as_of', 0, CAST(built_at AS text), 0 FROM fresh")
    in_results = "IN (SELECT article_id FROM counted)"
    for kind in KINDS:
        parts.append(
            f"SELECT '{kind.name}', l.{kind.column}, CAST(COUNT(*) AS text), 0 FROM {kind.link_table} l "
            f"WHERE l.article_id {in_results} AND {public_link_sql('l')} GROUP BY l.{kind.column}"
        )
    parts.append(
        f"SELECT 'source', a.source_id, CAST(COUNT(*) AS text), 0 FROM {ARTICLE_TABLE} a "
        f"WHERE a.id {in_results} AND a.{PUBLISHED} GROUP BY a.source_id"
    )
    year = _year("p")
    parts.append(f"SELECT 'year', {year}, CAST(COUNT(*) AS text), 0 FROM counted GROUP BY {year}")
    probe_params = []
    if plan.probe:
        documents = fulltext.indexed_documents_sql()
        parts.append(f"SELECT 'documents', {documents}, NULL, 0")
        for index, word in enumerate(plan.probe):
            holding, holding_params = fulltext.documents_holding(word, documents)
            parts.append(f"SELECT 'word', {index}, CAST({holding} AS text), 0")
            probe_params.extend(holding_params)
    if top is not None:
        limit, order = top
        ctes += f", best AS MATERIALIZED (SELECT * FROM r ORDER BY {order}, article_id DESC LIMIT {int(limit)})"
        parts.append(
            f"SELECT 'top', article_id, CAST(score AS text), ROW_NUMBER() OVER (ORDER BY {order}, article_id DESC) "
            "FROM best"
        )
        if plan.concepts:  # the results matched by names in their text alone, no link
            parts.append("SELECT 'unlinked', article_id, NULL, 0 FROM best WHERE linked = 0")
    sql = "WITH " + ", ".join([*text_ctes, f"r AS MATERIALIZED ({hits})"]) + f"{ctes} " + " UNION ALL ".join(parts)
    result = Counts(total=0, facets={name: [] for name in FACET_KINDS})
    with connection.cursor() as cursor:
        cursor.execute(sql, [*text_params, *params, *cte_params, *probe_params])
        rows = cursor.fetchall()
    snapshot_total = None
    top_rows = []
    for name, value, payload, position in rows:
        if name == "top":
            top_rows.append((position, value, float(payload)))
        elif name == "unlinked":
            result.unlinked.add(value)
        elif name == "rows":
            result.rows = int(value)
        elif name == "capped":
            result.capped = bool(value)
        elif name == "snapshot":
            snapshot_total = int(value)
            data = json.loads(payload) if isinstance(payload, str) else payload
            result.facets = {key: [tuple(pair) for pair in data.get(key, [])] for key in FACET_KINDS}
        elif name == "as_of":
            result.as_of = payload
        elif name == "documents":
            result.documents = int(value)
        elif name == "word":
            result.holding[plan.probe[int(value)]] = int(payload)
        elif value is not None:
            result.facets[name].append((value, int(payload)))
    result.top = [(article_id, score) for _, article_id, score in sorted(top_rows)]
    result.total = result.rows
    if snapshot_total is not None and result.capped:
        result.total, result.capped = snapshot_total, False  # the whole set, as counted at as_of
    for name in FACET_KINDS:
        if name == "year":
            result.facets[name].sort(key=lambda pair: -pair[0])
        else:
            result.facets[name].sort(key=lambda pair: (-pair[1], pair[0]))
    return result
