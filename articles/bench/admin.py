"""Admin page latencies over the synthetic corpus (``manage.py bench --admin``).

Each page is requested through Django's test client as a superuser, as an editor's
browser would (session, permissions, changelist, template), warm, `repeat` times; the
table gives p50/p95 and the number of queries, which the tests hold fixed.
"""

import os
import platform
import statistics
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from ..models import Article, ArticleDrug, Condition, Drug, Source
from . import corpus

DEFAULT_ARTICLES = 10_000
DEFAULT_REPEAT = 15
USERNAME = "bench-admin"


def pages():
    """(name, url) of the pages an editor uses all day, with busy examples."""
    article = (
        Article.objects.filter(slug__startswith=corpus.SLUG_PREFIX)
        .annotate(n=Count("condition_links"))
        .order_by("-n", "pk")
        .first()
    )
    drug = Drug.objects.annotate(n=Count("article_links")).order_by("-n", "pk").first()
    top = list(Condition.objects.annotate(n=Count("article_links")).order_by("-n", "pk").values_list("pk", flat=True))
    source = Source.objects.filter(slug__startswith=corpus.SLUG_PREFIX).order_by("pk").first()
    brand = drug.aliases.filter(is_brand=True).values_list("text", flat=True).first() or drug.name
    autocomplete = "/admin/autocomplete/?app_label=articles&model_name=articledrug"
    return [
        ("admin index (workbench)", "/admin/"),
        ("article list", "/admin/articles/article/"),
        ("articles in review", "/admin/articles/article/?status__exact=review"),
        ("articles with links to review", "/admin/articles/article/?links=to_review"),
        ("article title search", "/admin/articles/article/?q=hair"),
        ("article page (most links)", f"/admin/articles/article/{article.pk}/change/"),
        ("drug review queue", "/admin/articles/articledrug/"),
        ("queue, low confidence", "/admin/articles/articledrug/?confidence=low"),
        ("queue, one drug", f"/admin/articles/articledrug/?review=all&drug={drug.pk}"),
        ("queue, one source", f"/admin/articles/articlecondition/?review=all&article__source__id__exact={source.pk}"),
        ("drug list with counts", "/admin/articles/drug/"),
        ("drug search, brand name", f"/admin/articles/drug/?q={brand}"),
        ("drugs with articles", "/admin/articles/drug/?articles=yes"),
        ("drugs by article count", "/admin/articles/drug/?o=-4"),  # column 0 is the checkbox
        ("conditions in MeSH C04", "/admin/articles/condition/?branch=C04"),
        ("drug autocomplete", f"{autocomplete}&field_name=drug&term={drug.name[:4]}"),
        ("article autocomplete", f"{autocomplete}&field_name=article&term=hair"),
        ("drug page (most links)", f"/admin/articles/drug/{drug.pk}/change/"),
        ("merge preview, top 2 conditions", f"/admin/articles/condition/merge/?ids={top[0]}&ids={top[1]}"),
    ]


def run(command, *, articles=None, repeat=None, seed=1, keep=False, **options):
    articles = articles or DEFAULT_ARTICLES
    repeat = repeat or DEFAULT_REPEAT
    if repeat < 1:
        raise ValueError("--repeat must be at least 1.")
    write = command.stdout.write
    info = corpus.ensure(articles=articles, seed=seed, write=write)
    if info.created:
        write(f"Corpus built in {info.seconds:,.0f}s.")
    user_model = get_user_model()
    user_model.objects.filter(username=USERNAME).delete()
    user = user_model.objects.create_superuser(USERNAME, "bench@example.invalid", None)
    client = Client()
    client.force_login(user)
    # Templates use {% static %}; a bench run need not have run collectstatic first.
    plain = "django.contrib.staticfiles.storage.StaticFilesStorage"
    plain_static = {**settings.STORAGES, "staticfiles": {"BACKEND": plain}}
    rows = []
    try:
        with override_settings(ALLOWED_HOSTS=["testserver"], STORAGES=plain_static):
            for name, url in pages():
                times, queries = [], 0
                for attempt in range(repeat + 1):
                    with CaptureQueriesContext(connection) as captured:
                        started = time.perf_counter()
                        response = client.get(url)
                        elapsed = (time.perf_counter() - started) * 1000
                    if response.status_code != 200:
                        raise ValueError(f"{url} answered {response.status_code}")
                    if attempt:  # the first request warms the caches
                        times.append(elapsed)
                    queries = len(captured)
                rows.append((name, statistics.median(times), corpus.percentile(times, 0.95), queries))
        sizes = f"{ArticleDrug.objects.count():,} drug links, {Drug.objects.count():,} drugs"
    finally:
        user.delete()
        if not keep:
            corpus.drop(write=write)

    write("")
    write(
        f"Admin benchmark · {corpus.database_label()} · {articles:,} synthetic articles (seed {seed}), "
        f"{sizes} · {os.cpu_count()} CPUs · "
        f"{platform.python_implementation()} {platform.python_version()} · {repeat} requests per page, warm"
    )
    header = f"{'page':<34}{'p50 ms':>8}{'p95 ms':>8}{'queries':>9}"
    write(header)
    write("-" * len(header))
    for name, p50, p95, queries in rows:
        write(f"{name:<34}{p50:>8.1f}{p95:>8.1f}{queries:>9}")
