"""Import throughput with linking: `manage.py bench --ingest [--articles N] [--repeat R] [--seed S] [--keep]`.

Generates N synthetic ≈400-word stories that mention real vocabulary names (2–4 drugs
and conditions each, brand names and British spellings included), imports them through
the real pipeline (one transaction per article: dedupe, syndication lookup, linking,
evidence, history, search index) into whatever database DATABASE_URL points to, and
prints articles per second, plus the matcher's build time and memory. The imported
articles are deleted afterwards unless --keep.
"""

import random
import time
from pathlib import Path

from django.db import connection

from articles.ingest.extract import Record
from articles.ingest.matcher import clear_matcher_cache, get_matcher
from articles.ingest.pipeline import import_records
from articles.models import AliasKind, Article, ConditionAlias, DrugAlias, Source

FILLER = (  # noqa: SIM905
    "the study team said results were encouraging but more work is needed before doctors change practice "
    "patients in the trial reported fewer symptoms after several months of treatment and follow up visits "
    "researchers compared outcomes with a control group and adjusted for age sex and other health factors "
    "independent experts welcomed the findings while cautioning that the sample was small and short term "
    "the health service will review the evidence and decide whether to offer the therapy more widely soon"
).split()


def _rss_mb():
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return float("nan")
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _names(alias_model, rng, n):
    rows = list(
        alias_model.objects.filter(is_ambiguous=False, match_case=False, kind__in=[AliasKind.NAME, AliasKind.LAY])
        .exclude(text__contains=",")
        .values_list("text", flat=True)[:20000]
    )
    rng.shuffle(rows)
    return [r for r in rows if r.replace(" ", "").isalpha() and len(r) >= 5][:n]


def _story(rng, drugs, conditions, words=400):
    """About `words` words in paragraphs of three to five sentences, like a news story."""
    mentions = [rng.choice(drugs) for _ in range(rng.randint(2, 4))] + [
        rng.choice(conditions) for _ in range(rng.randint(2, 4))
    ]
    paragraphs, paragraph, count = [], [], 0
    while count < words:
        sentence = rng.sample(FILLER, rng.randint(10, 18))
        if mentions and rng.random() < 0.4:
            sentence.insert(rng.randint(0, len(sentence)), mentions.pop())
        paragraph.append(" ".join(sentence).capitalize() + ".")
        count += len(sentence)
        if len(paragraph) >= rng.randint(3, 5):
            paragraphs.append(" ".join(paragraph))
            paragraph = []
    if paragraph:
        paragraphs.append(" ".join(paragraph))
    return "\n\n".join(paragraphs)


def run(command, *, articles=None, repeat=None, seed=1, keep=False, **options):
    write = command.stdout.write
    articles = articles or 500
    repeat = repeat or 1
    if articles < 1 or repeat < 1:
        raise ValueError("--articles and --repeat must be at least 1.")
    if not ConditionAlias.objects.exists():
        raise ValueError("The vocabulary is empty: run `python manage.py load_vocabulary` first.")
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    write(f"Database: {connection.vendor}; {articles} synthetic articles × {repeat} run(s), seed {seed}")

    clear_matcher_cache()
    rss_before = _rss_mb()
    started = time.perf_counter()
    matcher = get_matcher()
    build = time.perf_counter() - started
    write(
        f"Matcher: {matcher.stats['names']:,} names, built in {build:.2f}s, "
        f"+{_rss_mb() - rss_before:,.0f} MB resident memory"
    )

    drugs = _names(DrugAlias, rng, 2000)
    conditions = _names(ConditionAlias, rng, 2000)
    rates = []
    for run_number in range(1, repeat + 1):
        records = [
            Record(
                where=f"synthetic {n}",
                title=f"{rng.choice(drugs)} shows promise in {rng.choice(conditions)} study {seed}-{run_number}-{n}",
                body=_story(rng, drugs, conditions),
                url=f"https://bench.example/{seed}/{run_number}/{n}",
                source="Bench Wire",
                published="2024-06-01T12:00:00Z",
            )
            for n in range(articles)
        ]
        words = sum(len(r.body.split()) for r in records) / len(records)
        started = time.perf_counter()
        report = import_records(records, publish=True)
        elapsed = time.perf_counter() - started
        rate = articles / elapsed
        rates.append(rate)
        created = report.counts["imported"]
        write(
            f"Run {run_number}: {rate:,.0f} articles/s ({elapsed:.2f}s; {created} imported, "
            f"{report.counts['failed']} failed; {report.links / max(created, 1):.1f} links/article; "
            f"{words:.0f} words/article)"
        )
    if not keep:  # after the last run: deleting between runs would leave the next run dead rows to step over
        Article.objects.filter(source_url__startswith=f"https://bench.example/{seed}/").delete()
        Source.objects.filter(name="Bench Wire", articles__isnull=True).delete()
    write(command.style.SUCCESS(f"Import with linking: best {max(rates):,.0f} articles/s (single process)"))
