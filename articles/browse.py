"""What entity and article pages show beside the articles themselves.

- ``mentioned_with``: the conditions, drugs and institutions most often named in an
  entity's articles, with counts. It is the search service's facet count over the
  same result set (one statement through the link tables' indexes, or the
  precomputed FacetSnapshot of a very large set), so an entity page and a search
  for that entity show the same numbers.
- ``related``: other published articles that share entities with one article,
  weighted by kind, in one query whatever the size of the corpus: each shared
  entity contributes only its newest RELATED_WINDOW public links.
"""

# SQL here is assembled from constant fragments (table and column names); values are parameters.
# ruff: noqa: S608

from dataclasses import dataclass, field

from django.db import connection

from .filters import ArticleFilter
from .kinds import BY_NAME, KINDS
from .models import Article, ArticleCondition
from .rows import labels, published_articles
from .search import cache, retrieval

MENTIONED_SIZE = 8
RELATED_SIZE = 5
RELATED_WINDOW = 200
# A shared drug says more about what two stories have in common than a shared regulator.
RELATED_WEIGHTS = {"drug": 3, "condition": 2, "institution": 1}


def entity_filterset(kind, entity, params, queryset, *, branch=()):
    """The shared ArticleFilter over the public articles of `entity`, newest first by default.

    One entity: its slug is set as the filter, which joins its link table, so the
    newest-first order walks the (entity, published) index. A condition with its
    narrower conditions (`branch`: their ids, ``ConditionTreeNumber.branches``), or an
    entity when `params` asks for another one of its kind too: the articles linked to it
    (or to any of them), each once, and the FilterSet narrows those. Any other filter in
    `params` (words, another entity, dates, source, order) narrows further.
    """
    data = params.copy()
    data.pop("narrower", None)
    if branch:
        queryset = queryset.for_conditions([entity.pk, *branch])
    elif data.get(kind) and data.get(kind) != entity.slug:
        queryset = getattr(queryset, f"for_{kind}")(entity)
    else:
        data[kind] = entity.slug
    return ArticleFilter(data, queryset=queryset)


ARTICLE_TABLE = Article._meta.db_table


class BranchArticleIds:
    """The public article ids of a branch (a condition and its narrower ones), newest first, read
    from the link table's covering (condition, published) index alone — the article table is
    not scanned. Sliceable and countable, for a Paginator (one query per slice or count).

    The order is the article lists' (published, newest first, then id): a link carries its
    article's date while the article is public.
    """

    TABLE = ArticleCondition._meta.db_table

    def __init__(self, condition_ids, *, originals=False):
        self.ids = sorted(set(condition_ids))
        self.originals = originals  # leave syndicated copies out (feeds)

    def _where(self):
        placeholders = ", ".join(["%s"] * len(self.ids))
        where = f"FROM {self.TABLE} WHERE condition_id IN ({placeholders}) AND {retrieval.PUBLIC_LINK}"
        if self.originals:  # copies are few: their ids are one index range on canonical_id
            where += f" AND article_id NOT IN (SELECT id FROM {ARTICLE_TABLE} WHERE canonical_id IS NOT NULL)"
        return where, list(self.ids)

    def count(self):
        where, params = self._where()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(DISTINCT article_id) {where}", params)
            return cursor.fetchone()[0]

    def __len__(self):
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("BranchArticleIds takes a slice [start:stop].")
        start = index.start or 0
        if index.stop is not None and index.stop <= start:
            return []
        limit = "" if index.stop is None else f" LIMIT {int(index.stop) - int(start)}"
        where, params = self._where()
        sql = (
            f"SELECT article_id {where} GROUP BY article_id ORDER BY MAX(published) DESC, article_id DESC"
            f"{limit} OFFSET {int(start)}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [row[0] for row in cursor.fetchall()]


@dataclass
class Mention:
    kind: str
    name: str
    slug: str
    count: int
    filter_url: str = ""  # the page's articles narrowed to those mentioning it (set by the view)
    stories_label: str = ""  # "2 stories": a reported relation counts the stories that report it, not mentions

    @property
    def url(self):
        return BY_NAME[self.kind].model(slug=self.slug).get_absolute_url()


@dataclass
class Mentions:
    total: int = 0
    capped: bool = False  # counted over the newest rows only (a very large set without a snapshot)
    as_of: object = None  # when precomputed counts were taken, else None (live)
    by_kind: dict = field(default_factory=dict)  # {"drug": [Mention, ...], ...}

    def __getitem__(self, kind):
        return self.by_kind.get(kind, [])


def mentioned_with(kind, entity_id, ids=None, *, size=MENTIONED_SIZE):
    """Mentions in the public articles of an entity (or of `ids`: a condition and its narrower ones).

    Two queries: the counts, then the names of the top `size` of each kind. The
    entity itself is left out of its own kind's list.
    """
    ids = sorted(set(ids or [entity_id]))
    narrower = len(ids) > 1
    plan = retrieval.Plan(
        groups=[[retrieval.Branch(kind, ids, {entity_id})]],
        snapshot_key=(kind, entity_id, narrower),
    )
    counts = cache.counts(plan, retrieval.counts)  # per content stamp (articles.search.cache)
    top = {}
    for other in KINDS:
        pairs = counts.facets.get(other.name, [])
        top[other.name] = [(pk, n) for pk, n in pairs if not (other.name == kind and pk == entity_id)][:size]
    names = labels({name: [pk for pk, _ in pairs] for name, pairs in top.items()})
    mentions = Mentions(total=counts.total, capped=counts.capped, as_of=counts.as_of)
    for name, pairs in top.items():
        mentions.by_kind[name] = [
            Mention(name, names[(name, pk)][1], names[(name, pk)][0], n) for pk, n in pairs if (name, pk) in names
        ]
    return mentions


def related(article, *, same_story=(), size=RELATED_SIZE):
    """Published original articles sharing entities with `article`, most in common first (one query).

    Uses the article's visible links (``public_condition_links``…). The article's own
    syndicated copies (`same_story`: their ids) and its original are not related
    articles: they are the same story ("also published by").
    """
    parts, params = [], []
    for kind in KINDS:
        for link in getattr(article, f"public_{kind.name}_links", []):
            parts.append(
                f"SELECT article_id, {RELATED_WEIGHTS[kind.name]} AS w, published AS p FROM ("
                f"SELECT article_id, published FROM {kind.link_table} WHERE {kind.column} = %s "
                f"AND {retrieval.PUBLIC_LINK} ORDER BY published DESC LIMIT {RELATED_WINDOW}) newest"
            )
            params.append(getattr(link, f"{kind.name}_id"))
    if not parts:
        return []
    same_story = {article.pk, *same_story}
    if article.canonical_id:
        same_story.add(article.canonical_id)
    excluded = ", ".join(["%s"] * len(same_story))
    # The best few candidates, then those of them that are published originals, still best first.
    ranked = (
        f"SELECT article_id, SUM(w) AS score, MAX(p) AS p FROM ({' UNION ALL '.join(parts)}) shared "
        f"WHERE article_id NOT IN ({excluded}) GROUP BY article_id ORDER BY score DESC, p DESC, article_id DESC "
        f"LIMIT {size * 3}"
    )
    return published_articles(
        "a.canonical_id IS NULL",
        [*params, *same_story],
        join=f"JOIN ({ranked}) best ON best.article_id = a.id",
        order=f"ORDER BY best.score DESC, best.p DESC, a.id DESC LIMIT {size}",
    )
