"""What a page of articles needs from the database, in as few and as cheap queries as possible.

Every list of articles reads its page here: search results (pages and API), the entity and
list pages, the home page, the API's article list, and the article page. The
articles are model instances (templates and serializers use their methods), read
with Article.objects.raw() together with their source and original; their visible
links — dozens per page — come from one plain query over the three link tables and
are light objects with the attribute names of ``ArticleQuerySet.with_public_links()``
(``article.public_drug_links[0].drug.name``), so the same templates and serializers
show both.
"""

# SQL here is assembled from constant fragments (table and column names); values are parameters.
# ruff: noqa: S608

from functools import lru_cache

from django.db import connection
from django.urls import reverse

from .kinds import KINDS, LINKED_BY_NAME, LINKED_KINDS
from .models import (
    Article,
    ArticleStatus,
    ArticleTrial,
    LinkStatus,
    Source,
    public_link_sql,
    visible_link_sql,
)

PUBLISHED = f"status = '{ArticleStatus.PUBLISHED}'"  # matches the partial index article_search_idx
# What a result shows and serialises of an article (the body only for its snippet).
# What a link to an article shows: title, source, date.
BRIEF_FIELDS = ("slug", "title", "published", "status", "source_id", "canonical_id")
ARTICLE_FIELDS = ("slug", "title", "summary", "body", "published", "status", "source_url", "source_id", "canonical_id")


@lru_cache(maxsize=8)
def _url_pattern(kind):
    """The entity page URL with a placeholder slug, reversed once per kind."""
    return reverse(f"articles:{kind.replace('_', '-')}-detail", kwargs={"slug": "slug-placeholder"})


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

    __slots__ = ("entity", "first_offset", "in_title", "kind", "matched_text", "mention_count", "origin", "status")

    def __init__(self, kind, status, mention_count, in_title, first_offset, matched_text, entity, origin=None):
        self.kind, self.status, self.mention_count, self.origin = kind, status, mention_count, origin
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


def published_articles(where, params, columns=BRIEF_FIELDS, *, join="", order=""):
    """Published articles matching `where` (SQL on the article table ``a``, after an optional
    `join`), with source and original, in `order` (one query: the source and the original of a
    syndicated copy come in the same row). `params` fill the join's placeholders, then where's."""
    article_table, source_table = Article._meta.db_table, Source._meta.db_table
    articles = list(
        Article.objects.raw(
            f"SELECT a.id, {', '.join(f'a.{c}' for c in columns)}, s.name AS source_name, "
            "s.slug AS source_slug, c.slug AS canonical_slug, c.title AS canonical_title, "
            "c.status AS canonical_status, c.published AS canonical_published, cs.name AS canonical_source "
            f"FROM {article_table} a {join} LEFT JOIN {source_table} s ON s.id = a.source_id "
            f"LEFT JOIN {article_table} c ON c.id = a.canonical_id LEFT JOIN {source_table} cs ON cs.id = c.source_id "
            f"WHERE a.{PUBLISHED} AND a.published IS NOT NULL AND {where} {order}",
            params,
        )
    )
    for article in articles:
        article.source = _source(article.source_id, article.source_name, article.source_slug)
        if article.canonical_id is not None:
            article.canonical = Article(
                id=article.canonical_id,
                slug=article.canonical_slug,
                title=article.canonical_title,
                status=article.canonical_status,
                published=_datetime(article.canonical_published),
                source=_source(None, article.canonical_source, None),
            )
    return articles


def _source(pk, name, slug):
    return Source(id=pk, name=name, slug=slug) if name is not None else None


def _datetime(value):
    """A timestamp read by a plain query, as the model field would give it (SQLite returns text)."""
    return Article._meta.get_field("published").to_python(value) if isinstance(value, str) else value


def page_articles(ids, *, body=True):
    """Published articles with these ids, in this order, with source, original and visible links (2 queries).

    `body=False` leaves out the text (a list shows titles and summaries).
    """
    ids = list(ids)
    if not ids:
        return []
    columns = ARTICLE_FIELDS if body else tuple(f for f in ARTICLE_FIELDS if f != "body")
    articles = published_articles(f"a.id IN ({', '.join(['%s'] * len(ids))})", ids, columns)
    position = {pk: index for index, pk in enumerate(ids)}
    articles.sort(key=lambda article: position[article.pk])
    attach_links(articles)
    return articles


def article_page(slug):
    """The published article with this slug, every field, with source, original and visible links
    (2 queries), or None."""
    columns = [f.column for f in Article._meta.concrete_fields if not f.primary_key]
    articles = published_articles("a.slug = %s", [slug], columns)
    attach_links(articles)
    return articles[0] if articles else None


def attach_links(articles):
    """Set ``public_condition_links`` (and drug, institution, drug_class) on each article: its
    visible links, most mentioned first (one query)."""
    by_id = {article.pk: article for article in articles}
    for article in articles:
        for kind in LINKED_KINDS:
            setattr(article, f"public_{kind.name}_links", [])
    if not articles:
        return
    placeholders = ", ".join(["%s"] * len(by_id))
    parts, params = [], []
    for kind in LINKED_KINDS:
        extra = f"e.{kind.standard_id}" if kind.standard_id else "NULL"
        parts.append(
            f"SELECT '{kind.name}', l.article_id, l.id, l.status, l.mention_count, l.in_title, l.first_offset, "
            f"l.matched_text, e.id, e.name, e.slug, {extra}, l.origin FROM {kind.link_table} l "
            f"JOIN {kind.entity_table} e ON e.id = l.{kind.column} "
            f"WHERE l.article_id IN ({placeholders}) AND {visible_link_sql('l')}"
        )
        params.extend(by_id)
    sql = " UNION ALL ".join(parts) + " ORDER BY 2, 1, 5 DESC, 3"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for row in rows:
        kind, article_id, _pk, status, mentions, in_title, offset, matched, entity_id, name, slug, extra, origin = row
        entity = LinkedEntity(kind, entity_id, name, slug, extra)
        link = PageLink(kind, status, mentions, in_title, offset, matched, entity, origin)
        getattr(by_id[article_id], f"public_{kind}_links").append(link)


def published_copies(article_id):
    """The published syndicated copies of an article, first published first, with their sources (one query)."""
    return published_articles("a.canonical_id = %s", [article_id], order="ORDER BY a.published, a.id")


def trials(article_id):
    """The trial registry ids an article cites, as ArticleTrial instances (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, registry_id FROM {ArticleTrial._meta.db_table} WHERE article_id = %s ORDER BY registry_id",
            [article_id],
        )
        return [ArticleTrial(id=pk, article_id=article_id, registry_id=rid) for pk, rid in cursor.fetchall()]


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
    "drug_class": ("NULL", "NULL", "NULL", "NULL"),
}


def entities(ids_by_kind):
    """{(kind, id): model instance with .article_count} of the named entities (one query).

    The instances are built from one plain row each (the fields a card shows); the
    count is their public articles, read from the link tables' covering index.
    """
    parts, params = [], []
    for kind in LINKED_KINDS:
        ids = list(ids_by_kind.get(kind.name) or [])
        if not ids:
            continue
        columns = ", ".join(c if c == "NULL" else f"e.{c}" for c in ENTITY_COLUMNS[kind.name])
        parts.append(
            f"SELECT '{kind.name}', e.id, e.name, e.slug, e.description, {columns}, "
            f"(SELECT COUNT(*) FROM {kind.link_table} l WHERE l.{kind.column} = e.id "
            f"AND {public_link_sql('l')}) "
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
        entity = LINKED_BY_NAME[kind].model(id=pk, name=name, slug=slug, description=description, **fields)
        entity.article_count = count
        found[(kind, pk)] = entity
    return found


USAGE_WINDOW = 1_000  # an entity's newest public links read to see which of its names stories use


def aliases(ids_by_kind):
    """{(kind, id): [(text, normalized, alias kind, is_brand, is_ambiguous, uses), ...]} (one query).

    `uses`: how many of the entity's newest USAGE_WINDOW public links matched this name (its
    text, any case), so that lists can put the names stories use first.
    """
    parts, params = [], []
    for kind in LINKED_KINDS:
        ids = list(ids_by_kind.get(kind.name) or [])
        if not ids:
            continue
        newest = " UNION ALL ".join(
            f"SELECT * FROM (SELECT {kind.column} AS entity_id, matched_text FROM {kind.link_table} "
            f"WHERE {kind.column} = %s AND {public_link_sql()} ORDER BY published DESC LIMIT {USAGE_WINDOW}) n{i}"
            for i in range(len(ids))
        )
        used = (
            f"SELECT entity_id, LOWER(matched_text) AS used, COUNT(*) AS uses FROM ({newest}) newest "
            "GROUP BY entity_id, LOWER(matched_text)"
        )
        parts.append(
            f"SELECT '{kind.name}', a.{kind.column}, a.text, a.normalized, a.kind, a.is_brand, a.is_ambiguous, "
            f"COALESCE(u.uses, 0) FROM {kind.alias_table} a LEFT JOIN ({used}) u "
            f"ON u.entity_id = a.{kind.column} AND u.used = LOWER(a.text) "
            f"WHERE a.{kind.column} IN ({', '.join(['%s'] * len(ids))})"
        )
        params.extend([*ids, *ids])
    if not parts:
        return {}
    found = {}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for kind, pk, *alias in cursor.fetchall():
            found.setdefault((kind, pk), []).append(tuple(alias))
    return found
