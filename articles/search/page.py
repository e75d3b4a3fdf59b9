"""What one page of results needs from the database, in as few and as cheap queries as possible.

The articles themselves are model instances (templates and serializers use their
methods). Their visible links — dozens per page — come from one plain query over
the three link tables and are light objects with the attribute names of
``ArticleQuerySet.with_public_links()`` (``article.public_drug_links[0].drug.name``),
so the same templates and serializers show both.
"""

# SQL here is assembled from constant fragments (table and column names); values are parameters.
# ruff: noqa: S608

from functools import lru_cache

from django.db import connection
from django.urls import reverse

from ..models import Article, ArticleStatus, Condition, Drug, Institution, LinkStatus, Source
from .kinds import KINDS

BY_KIND = {"drug": Drug, "condition": Condition, "institution": Institution}
EXTRA_ID = {"drug": "drugbank_id", "condition": "mesh_id", "institution": None}
PUBLISHED = f"status = '{ArticleStatus.PUBLISHED}'"  # matches the partial index article_search_idx
# What a result shows and serialises of an article (the body only for its snippet).
ARTICLE_FIELDS = ("slug", "title", "summary", "body", "published", "status", "source_url", "source_id", "canonical_id")


@lru_cache(maxsize=8)
def _url_pattern(kind):
    """The entity page URL with a placeholder slug, reversed once per kind."""
    return reverse(f"articles:{kind}-detail", kwargs={"slug": "slug-placeholder"})


class LinkedEntity:
    """The entity at the end of a link: what a result shows of it."""

    __slots__ = ("drugbank_id", "id", "kind", "mesh_id", "name", "slug")

    def __init__(self, kind, pk, name, slug, extra_id):
        self.kind, self.id, self.name, self.slug = kind, pk, name, slug
        self.drugbank_id = extra_id if kind == "drug" else None
        self.mesh_id = extra_id if kind == "condition" else None

    @property
    def pk(self):
        return self.id

    def get_absolute_url(self):
        return _url_pattern(self.kind).replace("slug-placeholder", self.slug)

    def __str__(self):
        return self.name


class PageLink:
    """A visible link of a result: ``link.drug`` (or ``.condition``, ``.institution``) and ``link.drug_id``."""

    __slots__ = ("entity", "first_offset", "in_title", "kind", "matched_text", "mention_count", "status")

    def __init__(self, kind, status, mention_count, in_title, first_offset, matched_text, entity):
        self.kind, self.status, self.mention_count = kind, status, mention_count
        self.in_title, self.first_offset, self.matched_text, self.entity = (
            bool(in_title),
            first_offset,
            matched_text,
            entity,
        )

    def __getattr__(self, name):
        kind = object.__getattribute__(self, "kind")
        if name == kind:
            return self.entity
        if name == f"{kind}_id":
            return self.entity.id
        raise AttributeError(name)

    @property
    def is_machine_suggested(self):
        return self.status == LinkStatus.SUGGESTED


def page_articles(ids):
    """Published articles with these ids, with source, original and visible links (2 queries).

    Article.objects.raw(): the model's own conversions without compiling a queryset;
    the source and the original (for a syndicated copy) come in the same row.
    """
    ids = list(ids)
    if not ids:
        return []
    article_table, source_table = Article._meta.db_table, Source._meta.db_table
    articles = list(
        Article.objects.raw(
            f"SELECT a.id, {', '.join(f'a.{f}' for f in ARTICLE_FIELDS)}, s.name AS source_name, "
            "s.slug AS source_slug, c.slug AS canonical_slug, c.title AS canonical_title, "
            f"cs.name AS canonical_source FROM {article_table} a LEFT JOIN {source_table} s ON s.id = a.source_id "
            f"LEFT JOIN {article_table} c ON c.id = a.canonical_id LEFT JOIN {source_table} cs ON cs.id = c.source_id "
            f"WHERE a.{PUBLISHED} AND a.published IS NOT NULL AND a.id IN ({', '.join(['%s'] * len(ids))})",
            ids,
        )
    )
    for article in articles:
        if article.source_id is not None:
            article.source = Source(id=article.source_id, name=article.source_name, slug=article.source_slug)
        if article.canonical_id is not None:
            original_source = Source(name=article.canonical_source) if article.canonical_source else None
            article.canonical = Article(
                id=article.canonical_id,
                slug=article.canonical_slug,
                title=article.canonical_title,
                source=original_source,
            )
    by_id = {article.pk: article for article in articles}
    for article in articles:
        for kind in KINDS:
            setattr(article, f"public_{kind.name}_links", [])
    if not articles:
        return articles
    placeholders = ", ".join(["%s"] * len(by_id))
    parts, params = [], []
    for kind in KINDS:
        extra = f"e.{EXTRA_ID[kind.name]}" if EXTRA_ID[kind.name] else "NULL"
        parts.append(
            f"SELECT '{kind.name}', l.article_id, l.id, l.status, l.mention_count, l.in_title, l.first_offset, "
            f"l.matched_text, e.id, e.name, e.slug, {extra} FROM {kind.link_table} l "
            f"JOIN {kind.entity_table} e ON e.id = l.{kind.column} "
            f"WHERE l.article_id IN ({placeholders}) AND l.status <> '{LinkStatus.REJECTED}'"
        )
        params.extend(by_id)
    sql = " UNION ALL ".join(parts) + " ORDER BY 2, 1, 5 DESC, 3"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for kind, article_id, _pk, status, mentions, in_title, offset, matched, entity_id, name, slug, extra in rows:
        entity = LinkedEntity(kind, entity_id, name, slug, extra)
        link = PageLink(kind, status, mentions, in_title, offset, matched, entity)
        getattr(by_id[article_id], f"public_{kind}_links").append(link)
    return articles


def copies(ids):
    """The ids among `ids` of syndicated copies (one query)."""
    ids = list(ids)
    if not ids:
        return set()
    placeholders = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {Article._meta.db_table} WHERE {PUBLISHED} AND canonical_id IS NOT NULL "
            f"AND id IN ({placeholders})",
            ids,
        )
        return {row[0] for row in cursor.fetchall()}


def labels(ids_by_name):
    """{(facet, id): (slug, name)} for entity and source ids (one query)."""
    tables = {**{kind.name: kind.entity_table for kind in KINDS}, "source": Source._meta.db_table}
    parts, params = [], []
    for name, ids in ids_by_name.items():
        ids = list(ids)
        if ids and name in tables:
            parts.append(
                f"SELECT '{name}', id, slug, name FROM {tables[name]} WHERE id IN ({', '.join(['%s'] * len(ids))})"
            )
            params.extend(ids)
    if not parts:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return {(name, pk): (slug, title) for name, pk, slug, title in cursor.fetchall()}


# --------------------------------------------------------------------------- entity cards

ENTITY_COLUMNS = {
    "drug": ("drugbank_id", "medlineplus_id", "drug_class", "NULL"),
    "condition": ("mesh_id", "NULL", "NULL", "NULL"),
    "institution": ("ror_id", "NULL", "kind", "country"),
}


def entities(ids_by_kind):
    """{(kind, id): model instance with .article_count} of the named entities (one query).

    The instances are built from one plain row each (the fields a card shows); the
    count is their public articles, read from the link tables' covering index.
    """
    parts, params = [], []
    for kind in KINDS:
        ids = list(ids_by_kind.get(kind.name) or [])
        if not ids:
            continue
        columns = ", ".join(c if c == "NULL" else f"e.{c}" for c in ENTITY_COLUMNS[kind.name])
        parts.append(
            f"SELECT '{kind.name}', e.id, e.name, e.slug, e.description, {columns}, "
            f"(SELECT COUNT(*) FROM {kind.link_table} l WHERE l.{kind.column} = e.id "
            f"AND l.published IS NOT NULL AND l.status <> '{LinkStatus.REJECTED}') "
            f"FROM {kind.entity_table} e WHERE e.id IN ({', '.join(['%s'] * len(ids))})"
        )
        params.extend(ids)
    if not parts:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = cursor.fetchall()
    found = {}
    for kind, pk, name, slug, description, first, second, third, fourth, count in rows:
        fields = dict(zip(ENTITY_COLUMNS[kind], (first, second, third, fourth), strict=True))
        fields.pop("NULL", None)
        entity = BY_KIND[kind](id=pk, name=name, slug=slug, description=description, **fields)
        entity.article_count = count
        found[(kind, pk)] = entity
    return found


def aliases(ids_by_kind):
    """{(kind, id): [(text, normalized, alias kind, is_brand, is_ambiguous), ...]} (one query)."""
    parts, params = [], []
    for kind in KINDS:
        ids = list(ids_by_kind.get(kind.name) or [])
        if ids:
            parts.append(
                f"SELECT '{kind.name}', {kind.column}, text, normalized, kind, is_brand, is_ambiguous "
                f"FROM {kind.alias_table} WHERE {kind.column} IN ({', '.join(['%s'] * len(ids))})"
            )
            params.extend(ids)
    if not parts:
        return {}
    found = {}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for kind, pk, *alias in cursor.fetchall():
            found.setdefault((kind, pk), []).append(tuple(alias))
    return found
