"""`manage.py bench` (without --ingest): search latencies over a synthetic corpus.

For each operation a reader's workload is sampled from the corpus (names drawn by
how often articles mention them, as readers search what is in the news) and run
--repeat times, each query once before it is timed (a warm cache). Three timings
per query:

- app: the code path that produces the page's data (the search service, the
  autocomplete service, the condition and article pages' views up to rendering):
  SQL plus Python;
- bare: the very SQL statements the app issued, replayed on a plain cursor — the
  database's share, so app/bare is the application's overhead;
- api: the JSON endpoint through DRF (rendering included), where there is one.

p50/p95/p99 are printed per operation, and app/bare as the ratio of the p50s and
of the p95s. The corpus is dropped afterwards unless --keep is given; a kept
corpus of the same size and seed is reused by the next run.
"""

import contextlib
import gc
import os
import platform
import random
import statistics
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.test import RequestFactory
from django.test.utils import override_settings

from .. import views
from ..models import Article, ArticleCondition, ArticleDrug, ArticleStatus, Condition, Drug, DrugAlias
from ..search import autocomplete, facets, ranking, service
from ..text import normalize
from . import corpus

DEFAULT_ARTICLES = 10_000
DEFAULT_REPEAT = 100
POPULAR = 500  # the most-mentioned drugs and conditions the workload draws from


@dataclass
class Timing:
    app: list = field(default_factory=list)
    bare: list = field(default_factory=list)
    api: list = field(default_factory=list)
    results: list = field(default_factory=list)


def _ms(values, share):
    return corpus.percentile(values, share) * 1000


class _Capture:
    """Collects the statements a call sends to the database."""

    def __init__(self):
        self.statements = []

    def __call__(self, execute, sql, params, many, context):
        self.statements.append((sql, params, many))
        return execute(sql, params, many, context)


def _replay(statements):
    with connection.cursor() as cursor:
        started = time.perf_counter()
        for sql, params, many in statements:
            if many:
                cursor.executemany(sql, params)
            else:
                cursor.execute(sql, params)
                if cursor.description is not None:
                    cursor.fetchall()
        return time.perf_counter() - started


def _measure(operation, inputs, timing, api=None):
    factory = RequestFactory()
    for value in inputs:
        operation(value)  # warm: the same query's pages in the caches, as every timing below has them
        started = time.perf_counter()
        result = operation(value)
        timing.app.append(time.perf_counter() - started)
        if isinstance(result, int):
            timing.results.append(result)
        capture = _Capture()
        with connection.execute_wrapper(capture):
            operation(value)
        timing.bare.append(_replay(capture.statements))
        if api is not None:
            view, params = api(value)
            request = factory.get("/", params)
            started = time.perf_counter()
            response = view(request)
            response.render()
            timing.api.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise ValueError(f"{params} answered {response.status_code}")


# --------------------------------------------------------------------------- workload


def _popular(link_model, entity_field):
    rows = (
        link_model.objects.public()
        .values(entity_field)
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list(entity_field, "n")[:POPULAR]
    )
    return list(rows)


def _weighted(rng, rows, count):
    ids, weights = zip(*rows, strict=True) if rows else ((), ())
    return rng.choices(ids, weights=weights, k=count) if ids else []


def _typo(rng, name):
    word = normalize(name)
    position = rng.randrange(2, len(word) - 2)
    return word[:position] + word[position + 1 :]


def workload(rng, repeat):
    """The sampled inputs of every operation."""
    drugs = _popular(ArticleDrug, "drug")
    conditions = _popular(ArticleCondition, "condition")
    if not drugs or not conditions:
        raise ValueError("The corpus has no linked articles to search.")
    names = dict(Drug.objects.filter(pk__in=[pk for pk, _ in drugs]).values_list("pk", "name"))
    brands = {}
    for drug_id, text in DrugAlias.objects.filter(drug_id__in=names, is_brand=True, is_ambiguous=False).values_list(
        "drug_id", "text"
    ):
        brands.setdefault(drug_id, []).append(text)
    drug_names = [names[pk] for pk in _weighted(rng, drugs, repeat)]
    brand_rows = [(pk, n) for pk, n in drugs if pk in brands]
    brand_names = [rng.choice(brands[pk]) for pk in _weighted(rng, brand_rows, repeat)]
    typo_sources = [(pk, n) for pk, n in drugs if len(normalize(names[pk])) >= 8 and normalize(names[pk]).isalpha()]
    typos = [_typo(rng, names[pk]) for pk in _weighted(rng, typo_sources, repeat)]
    condition_slugs = dict(Condition.objects.filter(pk__in=[pk for pk, _ in conditions]).values_list("pk", "slug"))
    browse = [condition_slugs[pk] for pk in _weighted(rng, conditions, repeat)]
    first = Article.objects.filter(slug__startswith=corpus.SLUG_PREFIX, status=ArticleStatus.PUBLISHED).order_by("pk")
    last_id = first.order_by("-pk").values_list("pk", flat=True).first() or 0
    first_id = first.values_list("pk", flat=True).first() or 0
    article_ids = [rng.randint(first_id, last_id) for _ in range(repeat)]
    slugs = dict(Article.objects.published().filter(pk__in=article_ids).values_list("pk", "slug"))
    article_slugs = [slugs[pk] for pk in article_ids if pk in slugs] or list(slugs.values())
    prefixes = []
    for text in rng.sample(drug_names + brand_names, k=min(repeat, len(drug_names + brand_names))):
        word = normalize(text)
        prefixes.append(word[: rng.randint(2, max(2, min(6, len(word))))])
    top = [names[pk] for pk, _ in drugs[:20]]
    return {
        "drug search + facets": drug_names,
        "brand search": brand_names,
        "typo search": typos,
        "condition browse": browse,
        "article page": article_slugs,
        "autocomplete": prefixes,
        "top-20 drugs, facets live": (top * (repeat // len(top) + 1))[:repeat],
    }


# --------------------------------------------------------------------------- operations


def _search(text):
    return service.search(text).count


def _browse(slug):
    """The condition page's data, as its view builds it before rendering: the condition with its
    names and tree, the newest 20 articles with their links, the count, what they mention, the timeline."""
    context, _status = views.entity_context(RequestFactory().get("/"), "condition", slug)
    return context["page"].paginator.count


def _article(slug):
    """The article page's data, as its view builds it: the article, its links, trials, copies, related articles."""
    context = views.article_context(slug)
    return sum(
        len(getattr(context["article"], f"public_{kind}_links")) for kind in ("condition", "drug", "institution")
    )


def _suggest(prefix):
    return len(autocomplete.suggest(prefix))


def _api(name):
    from ..api import views

    if name == "autocomplete":
        return lambda value: (views.AutocompleteView.as_view(), {"q": value})
    if name in {"drug search + facets", "brand search", "typo search", "top-20 drugs, facets live"}:
        return lambda value: (views.SearchView.as_view(), {"q": value})
    return None


OPERATIONS = {
    "drug search + facets": _search,
    "brand search": _search,
    "typo search": _search,
    "condition browse": _browse,
    "article page": _article,
    "autocomplete": _suggest,
    "top-20 drugs, facets live": _search,
}


# --------------------------------------------------------------------------- run


def _rss_mb():
    """This process's resident memory (Linux /proc; None elsewhere)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def typo_index_memory():
    """A line on SQLite's in-memory typo index (search/fuzzy.py): what it holds and what building
    it adds to this process's resident memory (NumPy imported first, as the typo path does)."""
    import numpy  # noqa: F401 - loaded before measuring: counted apart

    from ..search import fuzzy

    gc.collect()
    before = _rss_mb()
    started = time.perf_counter()
    index = fuzzy._AliasCache._build()
    seconds = time.perf_counter() - started
    gc.collect()
    after = _rss_mb()
    held = sum(a.nbytes for a in (index.ids, index.kinds, index.sizes, index.codes, index.starts, index.postings))
    held += len(index.names.buffer) + index.names.offsets.nbytes
    grown = f"{after - before:.1f} MB" if before is not None and after is not None else "unknown"
    return (
        f"Typo index (SQLite, per process): {len(index.names):,} aliases, {index.postings.size:,} postings; "
        f"arrays and names {held / 2**20:.1f} MB; resident memory +{grown} after building it in {seconds:.1f}s."
    )


def run(command, *, articles=None, repeat=None, seed=1, keep=False, **options):
    articles = articles or DEFAULT_ARTICLES
    repeat = repeat or DEFAULT_REPEAT
    if repeat < 1:
        raise ValueError("--repeat must be at least 1.")
    write = command.stdout.write
    info = corpus.ensure(articles=articles, seed=seed, write=write)
    if info.created:
        write(f"Corpus built in {info.seconds:,.0f}s ({articles / max(info.seconds, 0.001):,.0f} articles/s).")
    started = time.monotonic()
    report = facets.refresh_snapshots(write=write)
    write(f"Facet snapshots: {report.snapshots:,} in {time.monotonic() - started:,.1f}s.")

    if connection.vendor == "sqlite":
        write(typo_index_memory())

    rng = random.Random(seed)  # noqa: S311 - a reproducible workload, not secrets
    inputs = workload(rng, repeat)
    timings = {}
    with override_settings(ALLOWED_HOSTS=["testserver", "localhost"]), _as_served():
        for name, operation in OPERATIONS.items():
            timing = Timing()
            if name == "top-20 drugs, facets live":
                drift = ranking.SNAPSHOT_DRIFT_MIN
                ranking.SNAPSHOT_DRIFT_MIN = -1  # no snapshot is ever fresh: every facet counted live
                try:
                    _measure(operation, inputs[name], timing, api=_api(name))
                finally:
                    ranking.SNAPSHOT_DRIFT_MIN = drift
            else:
                _measure(operation, inputs[name], timing, api=_api(name))
            timings[name] = timing

    _print(command, timings, articles=articles, seed=seed, repeat=repeat)
    if not keep:
        corpus.drop(write=write)
        facets.refresh_snapshots()


@contextlib.contextmanager
def _as_served():
    """Time the queries as a web request runs them (newsbase.serving): on PostgreSQL with
    DB_PARALLEL_WORKERS parallel workers per statement, for this session only."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SET max_parallel_workers_per_gather = {int(settings.DATABASE_PARALLEL_WORKERS)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET max_parallel_workers_per_gather")


def _print(command, timings, *, articles, seed, repeat):
    write = command.stdout.write
    write("")
    write(
        f"Search benchmark · {corpus.database_label()} · {articles:,} synthetic articles (seed {seed}) · "
        f"{os.cpu_count()} CPUs · {platform.python_implementation()} {platform.python_version()} · "
        f"{repeat} queries per operation, warm cache"
    )
    write("Milliseconds. app = service call (SQL + Python); bare = the same SQL replayed raw; api = JSON endpoint.")
    header = (
        f"{'operation':<27}{'results':>8}  {'app p50':>7}{'p95':>7}{'p99':>7}  {'bare p50':>8}{'p95':>7}{'p99':>7}"
        f"  {'app/bare':>9}  {'api p50':>7}{'p95':>7}"
    )
    write(header)
    write("-" * len(header))
    for name, t in timings.items():
        app = [_ms(t.app, p) for p in (0.5, 0.95, 0.99)]
        bare = [_ms(t.bare, p) for p in (0.5, 0.95, 0.99)]
        api = [_ms(t.api, p) for p in (0.5, 0.95)] if t.api else None
        results = f"{statistics.median(t.results):,.0f}" if t.results else "-"
        ratio = f"{app[0] / bare[0]:.1f}/{app[1] / bare[1]:.1f}"
        api_text = f"{api[0]:>7.1f}{api[1]:>7.1f}" if api else f"{'-':>7}{'-':>7}"
        write(
            f"{name:<27}{results:>8}  {app[0]:>7.1f}{app[1]:>7.1f}{app[2]:>7.1f}  "
            f"{bare[0]:>8.1f}{bare[1]:>7.1f}{bare[2]:>7.1f}  {ratio:>9}  {api_text}"
        )
    write("results = median count of articles (links for the article page, suggestions for autocomplete).")
    write(command.style.SUCCESS("Done."))
