"""Measure search ranking against our judged reader queries (tests/data/search/queries.toml).

Each query has a kind (generic, brand, lay, typo, drug_condition, filler, class, institution) and
the stories we judged relevant, named by URL, with a grade: ``central`` (2) or ``relevant`` (1);
tests/data/search/README.md says how they were written and judged. Every query runs through the
real search service (``articles.search.service.search``, as the site and /api/search/ call it)
and its first page of ``K`` results is scored:

- recall@K: judged stories in the top K over min(K, judged stories);
- MRR: 1 / rank of the first judged story (0 when none is in the top K);
- nDCG@K: graded gains (2, 1) with log2 discounts, over the ideal ordering;
- zero-result rate: share of queries whose answer is empty.

A syndicated copy is the story it copies (search folds copies into one result), so stories are
compared by their canonical article. A judged URL with no article in the database (the import
rejected the page) is left out of its query and reported. The texts are never stored: the corpus
is read from ../shared at run time and imported into the current database when it is not there.
"""

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from .ingest import realnews
from .models import Article
from .search import lexicon
from .search.service import search

DEFAULT_QUERIES = Path(settings.BASE_DIR) / "tests" / "data" / "search" / "queries.toml"
DEFAULT_CORPUS = realnews.DEFAULT_CORPUS
KINDS = ("generic", "brand", "lay", "typo", "drug_condition", "filler", "class", "institution")
K = 10
GRADES = {"central": 2, "relevant": 1}
QUERY_KEYS = {"kind", "q", *GRADES}


@dataclass
class Query:
    kind: str
    q: str
    grades: dict  # url -> grade (2 central, 1 relevant)


@dataclass
class QueryResult:
    query: Query
    hits: int  # results on the first page
    total: int  # results the search counted
    found: list  # [(rank, grade)] judged stories among the first K, rank from 1
    judged: int  # judged stories that are in the database (after folding copies)
    missing_urls: list  # judged URLs with no article
    recall: float = 0.0
    rr: float = 0.0
    ndcg: float = 0.0

    @property
    def first_rank(self):
        return self.found[0][0] if self.found else None


@dataclass
class Summary:
    queries: int = 0
    recall: float = 0.0
    mrr: float = 0.0
    ndcg: float = 0.0
    zero_rate: float = 0.0
    zero: int = 0


@dataclass
class Evaluation:
    results: list = field(default_factory=list)  # [QueryResult]

    def summary(self, kind=None):
        rows = [r for r in self.results if kind is None or r.query.kind == kind]
        if not rows:
            return Summary()
        n = len(rows)
        zero = sum(1 for r in rows if r.hits == 0)
        return Summary(
            queries=n,
            recall=sum(r.recall for r in rows) / n,
            mrr=sum(r.rr for r in rows) / n,
            ndcg=sum(r.ndcg for r in rows) / n,
            zero_rate=zero / n,
            zero=zero,
        )

    def by_kind(self):
        """{kind: Summary} for the kinds that have queries, in KINDS order."""
        present = {r.query.kind for r in self.results}
        return {kind: self.summary(kind) for kind in KINDS if kind in present}

    def empty(self):
        """Queries with a judged story in the database whose answer is empty."""
        return [r for r in self.results if r.hits == 0 and r.judged]

    def worst(self, count=15):
        """The weakest queries: lowest nDCG@K, then lowest MRR, then lowest recall."""
        return sorted(self.results, key=lambda r: (r.ndcg, r.rr, r.recall, r.query.kind, r.query.q))[:count]

    @property
    def missing_urls(self):
        return sorted({url for r in self.results for url in r.missing_urls})


# --------------------------------------------------------------------------- reading


def load_queries(path=DEFAULT_QUERIES):
    """[Query] from the TOML file; a ValueError naming the query and what is wrong."""
    path = Path(path)
    with path.open("rb") as fh:
        try:
            data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"not valid TOML: {exc}") from exc
    entries = data.get("query")
    if not isinstance(entries, list) or not entries:
        raise ValueError("no [[query]] entries")
    queries, seen = [], set()
    for number, entry in enumerate(entries, 1):
        where = f"query {number}"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: not a table")
        unknown = set(entry) - QUERY_KEYS
        if unknown:
            raise ValueError(f"{where}: unknown keys {', '.join(sorted(unknown))}")
        q = entry.get("q")
        if not isinstance(q, str) or not q.strip():
            raise ValueError(f"{where}: `q` must be a non-empty string")
        where = f"query {number} ({q!r})"
        kind = entry.get("kind")
        if kind not in KINDS:
            raise ValueError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
        if (kind, q) in seen:
            raise ValueError(f"{where}: the same query twice for kind {kind}")
        seen.add((kind, q))
        grades = {}
        for key, grade in GRADES.items():
            urls = entry.get(key, [])
            if not isinstance(urls, list) or not all(isinstance(u, str) and u.strip() for u in urls):
                raise ValueError(f"{where}: `{key}` must be a list of story URLs")
            for url in urls:
                if url in grades:
                    raise ValueError(f"{where}: {url} is judged twice")
                grades[url] = grade
        if not grades:
            raise ValueError(f"{where}: no judged story (`central` or `relevant`)")
        queries.append(Query(kind=kind, q=q, grades=grades))
    return queries


# --------------------------------------------------------------------------- the corpus


# The date an undated corpus story is published with in the evaluation database (see import_corpus).
UNDATED_PLACEHOLDER = "2000-01-01"


def corpus_present(corpus):
    """Whether the stories of `corpus` ({url: story}) are already in the database (any of them)."""
    urls = list(corpus)
    return any(Article.objects.filter(source_url__in=urls[i : i + 500]).exists() for i in range(0, len(urls), 500))


def import_corpus(path, *, progress=None):
    """Import the JSON-lines corpus, published, into the current database; the ImportReport.

    Pages the pipeline rejects (bot checks, stubs) are counted as failed, not raised: the
    evaluation leaves their judgments out and says so.
    """
    from .ingest.extract import Record, read_path
    from .ingest.pipeline import import_records

    def dated(records):
        # About half the corpus states no date, and the importer never publishes an undated
        # story (it stays a draft). Search is judged here, not dates: such a story gets a
        # placeholder date for this evaluation only, so that readers' search can see it.
        for record in records:
            if isinstance(record, Record) and record.default_published is None:
                record.default_published = UNDATED_PLACEHOLDER
            yield record

    return import_records(dated(read_path(str(path))), publish=True, progress=progress)


# --------------------------------------------------------------------------- scoring


def _groups(urls):
    """{url: canonical article id} for the judged URLs that have an article."""
    urls = list(urls)
    found = {}
    for i in range(0, len(urls), 500):
        for url, pk, canonical in Article.objects.filter(source_url__in=urls[i : i + 500]).values_list(
            "source_url", "pk", "canonical_id"
        ):
            found[url] = canonical or pk
    return found


def dcg(gains):
    return sum(gain / math.log2(rank + 1) for rank, gain in enumerate(gains, 1))


def score(query, hit_groups, groups, *, k=K):
    """Score one query: `hit_groups` are the canonical ids of the results in rank order,
    `groups` maps judged URLs to canonical ids."""
    judged = {}
    for url, grade in query.grades.items():
        if url in groups:
            judged[groups[url]] = max(grade, judged.get(groups[url], 0))
    missing = sorted(url for url in query.grades if url not in groups)
    found, seen = [], set()
    for rank, group in enumerate(hit_groups[:k], 1):
        if group in judged and group not in seen:
            found.append((rank, judged[group]))
        seen.add(group)
    result = QueryResult(
        query=query, hits=len(hit_groups), total=0, found=found, judged=len(judged), missing_urls=missing
    )
    if judged:
        result.recall = len(found) / min(k, len(judged))
        result.rr = 1 / found[0][0] if found else 0.0
        gains = [0] * k
        for rank, grade in found:
            gains[rank - 1] = grade
        ideal = dcg(sorted(judged.values(), reverse=True)[:k])
        result.ndcg = dcg(gains) / ideal
    return result


def evaluate(queries, *, k=K, progress=None):
    """Run every query through search and score its first page of `k`; an Evaluation.

    The words the stories use (typo candidates, ``search.lexicon``) are recounted first, as
    ``refresh_story_words`` does after an import.
    """
    lexicon.refresh()
    groups = _groups({url for query in queries for url in query.grades})
    evaluation = Evaluation()
    for n, query in enumerate(queries, 1):
        answer = search(query.q, page=1, page_size=k)
        hit_groups = [hit.article.canonical_id or hit.article.pk for hit in answer.hits]
        result = score(query, hit_groups, groups, k=k)
        result.total = answer.count
        evaluation.results.append(result)
        if progress:
            progress(n, result)
    return evaluation


def floors_met(evaluation, floors):
    """[(kind, measure, measured, floor)] for every per-kind floor the evaluation falls below.

    `floors` is {kind: {"recall": x, "mrr": y, "ndcg": z}}; a missing measure is not checked.
    """
    failures = []
    for kind, wanted in floors.items():
        summary = evaluation.summary(kind)
        for measure, floor in wanted.items():
            value = getattr(summary, measure)
            if value < floor:
                failures.append((kind, measure, value, floor))
    return failures
