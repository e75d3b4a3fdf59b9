"""Autocomplete: entities whose names start with what was typed, best first (two queries).

"rux" → Ruxolitinib, "jak" → Jakafi → Ruxolitinib. Candidates are aliases whose
normalised form starts with the normalised input (a prefix scan of the alias index
on both databases), one per entity; they are ranked by tiers: an exact match first,
then by how many public articles the entity has (counted up to COUNT_CAP through the
link tables' covering index: "breast c" → Breast Neoplasms before Breast Cyst), then the
entity's own name, a brand name and shortness. A MeSH descriptor outside the health
branches (DISEASE_BRANCHES: "Semantic Differential" is a research method) is never
offered as a condition.
"""

# SQL here is assembled from constant fragments (table and column names); values are parameters.
# ruff: noqa: S608

from dataclasses import dataclass

from django.db import connection

from ..kinds import BY_NAME, KINDS
from ..models import ConditionTreeNumber, public_link_sql
from ..text import normalize

LIMIT = 8
CANDIDATES_PER_KIND = 30
COUNT_CAP = 1000
MAX_INPUT = 100
# MeSH branches whose descriptors are offered as conditions: diseases (C), behaviour and
# mental disorders (F01-F03), phenomena such as body weight or pregnancy (G). A condition
# without tree numbers (added by an editor) is offered too.
DISEASE_BRANCHES = ("C", "F01", "F02", "F03", "G")
TREE_TABLE = ConditionTreeNumber._meta.db_table


@dataclass
class Suggestion:
    kind: str
    entity_id: int
    name: str
    slug: str
    alias: str  # the name that matched what was typed
    alias_kind: str
    is_brand: bool
    article_count: int = 0  # capped at COUNT_CAP
    score: float = 0.0
    exact: bool = False  # the matched name is exactly what was typed

    @property
    def label(self):
        """ "Jakafi → Ruxolitinib"; a misspelling is never shown, only the name it leads to."""
        if self.alias.casefold() == self.name.casefold() or self.alias_kind == "misspelling":
            return self.name
        return f"{self.alias} → {self.name}"

    @property
    def url(self):
        return BY_NAME[self.kind].model(slug=self.slug).get_absolute_url()

    @property
    def count_capped(self):
        return self.article_count >= COUNT_CAP


def _prefix_condition(prefix):
    """(sql, params) for `normalized` starting with `prefix`, as an index range scan."""
    if connection.vendor == "postgresql":
        # varchar_pattern_ops index holding the id (migrations 0005, 0006); normalised text has no % or _.
        return "normalized LIKE %s", [prefix + "%"]
    # SQLite compares text bytewise: the prefix range is an index range (the index holds the rowid).
    return "normalized >= %s AND normalized < %s", [prefix, prefix + "\U0010ffff"]


def suggest(text, limit=LIMIT):
    """[Suggestion, ...] best first for what was typed (at most `limit`)."""
    prefix = normalize((text or "")[:MAX_INPUT])
    if not prefix:
        return []
    condition, condition_params = _prefix_condition(prefix)
    # Shortest names first, chosen from the index alone; for one letter (thousands of
    # names) the index order is enough. Only those few rows are then read in full.
    order = "LENGTH(normalized), normalized" if len(prefix) > 1 else "normalized"
    parts, params = [], []
    for kind in KINDS:
        health = ""
        if kind.name == "condition":
            branches = " OR ".join(["t.number LIKE %s"] * len(DISEASE_BRANCHES))
            health = (
                f" WHERE NOT EXISTS (SELECT 1 FROM {TREE_TABLE} t WHERE t.condition_id = e.id) "
                f"OR EXISTS (SELECT 1 FROM {TREE_TABLE} t WHERE t.condition_id = e.id AND ({branches}))"
            )
        parts.append(
            f"SELECT '{kind.name}', e.id, e.name, e.slug, a.text, a.normalized, a.kind, a.is_brand "
            f"FROM (SELECT id FROM {kind.alias_table} WHERE {condition} ORDER BY {order} "
            f"LIMIT {CANDIDATES_PER_KIND}) shortest "
            f"JOIN {kind.alias_table} a ON a.id = shortest.id JOIN {kind.entity_table} e ON e.id = a.{kind.column}"
            f"{health}"
        )
        params.extend(condition_params)
        if health:
            params.extend(branch + "%" for branch in DISEASE_BRANCHES)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = cursor.fetchall()

    best = {}
    for kind, entity_id, name, slug, alias, normalized, alias_kind, is_brand in rows:
        suggestion = Suggestion(kind, entity_id, name, slug, alias, alias_kind, bool(is_brand))
        suggestion.score = _alias_score(suggestion, normalized, prefix)
        suggestion.exact = normalized == prefix
        key = (kind, entity_id)
        if key not in best or (suggestion.exact, suggestion.score) > (best[key].exact, best[key].score):
            best[key] = suggestion
    shortlist = sorted(best.values(), key=lambda s: -s.score)[: limit * 3]
    _add_counts(shortlist)
    # Tiers: exact match, then popularity, then the name's own score (own name, brand, shortness).
    shortlist.sort(key=lambda s: (-s.exact, -s.article_count, -s.score, s.name.lower()))
    return shortlist[:limit]


EXACT = 3.0  # an alias equal to what was typed scores at least this


def _alias_score(suggestion, normalized, prefix):
    score = EXACT if normalized == prefix else 0.0
    if suggestion.alias.casefold() == suggestion.name.casefold():
        score += 0.5
    if suggestion.is_brand:
        score += 0.3
    return score - 0.02 * len(normalized)


def _add_counts(suggestions):
    """Public article counts (capped) for the suggestions' entities, in one query."""
    if not suggestions:
        return
    parts, params = [], []
    for kind in KINDS:
        ids = [s.entity_id for s in suggestions if s.kind == kind.name]
        for entity_id in ids:
            parts.append(
                f"SELECT '{kind.name}', %s, (SELECT COUNT(*) FROM (SELECT 1 FROM {kind.link_table} "
                f"WHERE {kind.column} = %s AND {public_link_sql()} LIMIT {COUNT_CAP}) c)"
            )
            params.extend([entity_id, entity_id])
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        counts = {(kind, int(entity_id)): count for kind, entity_id, count in cursor.fetchall()}
    for suggestion in suggestions:
        suggestion.article_count = counts.get((suggestion.kind, suggestion.entity_id), 0)
