"""A synthetic corpus for the search benchmark, written straight into the tables.

Articles are ~400 words of filler text with real vocabulary names mentioned in it:
drugs, conditions and institutions are picked with Zipf-Mandelbrot popularity (a few
names are in many articles, most in few), so that the head of the distribution is
as heavy as news really is. Each article gets 1–4 drug and condition links and 0–3
institution links with realistic statuses (mostly machine-suggested, some
confirmed, a few rejected), mention counts, titles naming the main entities, dates
over eight years skewed to recent ones, a few drafts and withdrawn stories, and ~3%
syndicated copies. The search index rows modelsearch would write are written too.

Rows go in with COPY on PostgreSQL and executemany on SQLite, in batches, with
explicit ids — 1M articles take minutes, not hours. Every synthetic row is marked
(slug prefix ``syn-``) so that it can be dropped again.
"""

# SQL here is assembled from constant fragments (table and column names); values are parameters.
# ruff: noqa: S608

import bisect
import datetime
import itertools
import random
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction

from ..models import (
    Article,
    ArticleCondition,
    ArticleDrug,
    ArticleInstitution,
    ArticleStatus,
    Condition,
    ConditionAlias,
    Drug,
    DrugAlias,
    Institution,
    Source,
)

SLUG_PREFIX = "syn-"
META_SLUG = "synthetic-corpus"
SOURCES = 40
BATCH = 5000
YEARS = 8

# Filler text: frequent words of health news, most frequent first (Zipf-weighted).
WORDS = """
the of and to in a that is for with on was as by are be it from at this have said has were not or which their
an more than who they but can people patients study researchers after been new also about one would had years
those its other some two may health could most when all them treatment trial disease risk drug found data
results percent time such over first between these did there into during while only how among than because
clinical hospital doctors medical care team group reported effects effect higher lower dose doses weeks months
year patients' women men children adults older younger blood heart brain cancer cells immune therapy therapies
approved approval agency university professor published journal analysis evidence early late phase safety side
effective placebo compared control participants volunteers randomised trial's benefit benefits symptoms severe
mild moderate chronic acute condition conditions treatments medicine medicines pill tablet injection weekly
daily months-long follow-up survival mortality deaths rates rate levels response responses long-term short-
term outcome outcomes primary secondary measure measured according experts expert cautioned warned welcomed
noted added explained suggested showed shows suggest larger smaller small large number numbers half third
quarter fifth scale review reviews regulators insurers cost costs price access guidance guidelines recommend
recommended label warning warnings infection infections inflammation inflammatory pathway pathways protein
proteins gene genes genetic enzyme enzymes receptor receptors molecule molecules mechanism laboratory mice
animal animals human humans tissue tissues sample samples screening diagnosis diagnosed detect detection test
tests testing scans imaging biomarker biomarkers hormone hormones weight loss gain pressure sugar levels
prevention prevent prevented reduce reduced reduction increase increased improve improved improvement worse
better faster slower stopped started continued switched combined combination alone together hospitalised
admitted discharged emergency intensive primary general practice nurses pharmacists company companies maker
manufacturer funded funding grant sponsor independent government public national international european
american british global local regional community communities
""".split()  # noqa: SIM905

TITLE_TEMPLATES = (
    "{drug} {verb} {condition} in {adj} trial",
    "{drug} and {condition}: what the new data show",
    "{institution} study links {drug} to lower {condition} risk",
    "Regulators weigh {drug} for {condition}",
    "Doctors report {adj} results with {drug}",
    "New hope for {condition} patients",
    "{condition} cases rise, {institution} warns",
    "Why {drug} matters for people with {condition}",
)
VERBS = ("eases", "slows", "targets", "curbs", "fails against", "helps with", "treats")
ADJECTIVES = ("small", "large", "early", "late-stage", "mixed", "promising", "disappointing", "long-awaited")


@dataclass
class Pool:
    """Entities of one kind, most popular first, with the names articles use for them."""

    ids: list
    names: list  # names[i]: list of (text, weight) for ids[i]
    cum_weights: list = field(default_factory=list)

    def pick(self, rng, count):
        """`count` distinct indexes into ids, by popularity (all of them when there are fewer)."""
        count = min(count, len(self.ids))
        chosen = []
        total = self.cum_weights[-1]
        while len(chosen) < count:
            index = bisect.bisect(self.cum_weights, rng.random() * total)
            if index < len(self.ids) and index not in chosen:
                chosen.append(index)
        return chosen


def percentile(values, share):
    """The nearest-rank value at `share` (0 to 1) of `values`; NaN when there are none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def database_label():
    """What the numbers were measured on: "SQLite 3.40.1" or "PostgreSQL 15.20 (jit off)"."""
    if connection.vendor != "postgresql":
        return f"SQLite {connection.Database.sqlite_version}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version'), current_setting('jit')")
        version, jit = cursor.fetchone()
    return f"PostgreSQL {version.split()[0]} (jit {jit})"


def zipf_weights(count, exponent, offset):
    """Cumulative Zipf-Mandelbrot weights 1/(rank + offset)^exponent for ranks 1..count."""
    return list(itertools.accumulate(1.0 / (rank + offset) ** exponent for rank in range(1, count + 1)))


@dataclass
class CorpusInfo:
    articles: int
    seed: int
    created: bool
    seconds: float = 0.0


def describe():
    """(articles, seed) of the synthetic corpus in the database, or None."""
    meta = Source.objects.filter(slug=META_SLUG).first()
    if meta is None:
        return None
    params = parse_qs(urlparse(meta.homepage).query)
    return int(params["n"][0]), int(params["seed"][0])


def ensure(*, articles, seed, write):
    """The corpus of `articles` articles for `seed`: reused when present, else (re)built."""
    if describe() == (articles, seed):
        count = Article.objects.filter(slug__startswith=SLUG_PREFIX).count()
        if count == articles:
            write(f"Reusing the synthetic corpus of {articles:,} articles (seed {seed}).")
            return CorpusInfo(articles, seed, created=False)
    drop(write=write)
    started = time.monotonic()
    generate(articles=articles, seed=seed, write=write)
    return CorpusInfo(articles, seed, created=True, seconds=time.monotonic() - started)


def _synthetic_articles_sql():
    table = Article._meta.db_table
    return f"SELECT id FROM {table} WHERE slug >= %s AND slug < %s", [SLUG_PREFIX, SLUG_PREFIX[:-1] + "."]


def drop(*, write):
    """Delete every synthetic row (articles, links, index entries, the corpus marker)."""
    if (
        not Source.objects.filter(slug=META_SLUG).exists()
        and not Article.objects.filter(slug__startswith=SLUG_PREFIX).exists()
    ):
        return
    write("Dropping the previous synthetic corpus…")
    select_ids, params = _synthetic_articles_sql()
    content_type = ContentType.objects.get_for_model(Article)
    cast = "CAST(id AS varchar)" if connection.vendor == "postgresql" else "CAST(id AS text)"
    with transaction.atomic(), connection.cursor() as cursor:
        for model in (ArticleCondition, ArticleDrug, ArticleInstitution):
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE article_id IN ({select_ids})", params)
        cursor.execute(
            f"DELETE FROM modelsearch_indexentry WHERE content_type_id = %s AND object_id IN "
            f"(SELECT {cast} FROM ({select_ids}) AS synthetic)",
            [content_type.pk, *params],
        )
        cursor.execute(
            f"UPDATE {Article._meta.db_table} SET canonical_id = NULL WHERE id IN ({select_ids})",
            params,
        )
        cursor.execute(f"DELETE FROM {Article._meta.db_table} WHERE id IN ({select_ids})", params)
    Source.objects.filter(slug=META_SLUG).delete()


def _pools(rng):
    """Popularity-ordered pools of drugs, conditions and institutions with their names."""
    drug_ids = list(Drug.objects.order_by("pk").values_list("pk", flat=True))
    condition_ids = list(Condition.objects.order_by("pk").values_list("pk", flat=True))
    institution_ids = list(Institution.objects.order_by("pk").values_list("pk", flat=True))
    if not drug_ids or not condition_ids or not institution_ids:
        raise ValueError("The vocabulary is empty: run `python manage.py load_vocabulary` first.")
    names = dict(Drug.objects.values_list("pk", "name"))
    brands = {}
    for drug_id, text in DrugAlias.objects.filter(is_brand=True, is_ambiguous=False).values_list("drug_id", "text"):
        brands.setdefault(drug_id, []).append(text)
    # News talks about drugs people know: drugs with brand names and short names lead.
    rng.shuffle(drug_ids)
    drug_ids.sort(key=lambda pk: (pk not in brands, len(names[pk]) > 16))
    drug_ids = drug_ids[:5000]
    drug_names = [
        [(names[pk], 0.7), *((brand, 0.3 / len(brands[pk])) for brand in brands.get(pk, []))] for pk in drug_ids
    ]

    condition_names = dict(Condition.objects.values_list("pk", "name"))
    lay = {}
    for condition_id, text in ConditionAlias.objects.filter(kind="lay", is_ambiguous=False).values_list(
        "condition_id", "text"
    ):
        lay.setdefault(condition_id, []).append(text)
    rng.shuffle(condition_ids)
    condition_ids.sort(key=lambda pk: (pk not in lay, len(condition_names[pk]) > 24))
    condition_ids = condition_ids[:4000]
    condition_name_lists = [
        [(condition_names[pk], 0.8), *((text, 0.2 / len(lay[pk])) for text in lay.get(pk, []))] for pk in condition_ids
    ]

    institution_names = dict(Institution.objects.values_list("pk", "name"))
    rng.shuffle(institution_ids)
    return (
        Pool(drug_ids, drug_names, zipf_weights(len(drug_ids), 1.05, 10)),
        Pool(condition_ids, condition_name_lists, zipf_weights(len(condition_ids), 1.05, 10)),
        Pool(
            institution_ids,
            [[(institution_names[pk], 1.0)] for pk in institution_ids],
            zipf_weights(len(institution_ids), 1.0, 3),
        ),
    )


def _choose_name(rng, names):
    if len(names) == 1:
        return names[0][0]
    return rng.choices([n for n, _ in names], weights=[w for _, w in names])[0]


def _sizes(rng, weights):
    return rng.choices(range(len(weights)), weights=weights)[0]


class _Writer:
    """Buffers rows per table and writes them with COPY (PostgreSQL) or executemany (SQLite)."""

    def __init__(self):
        self.rows = {}
        self.columns = {}

    def add(self, table, columns, row):
        self.columns[table] = columns
        self.rows.setdefault(table, []).append(row)

    def flush(self):
        with connection.cursor() as cursor:
            for table, rows in self.rows.items():
                columns = self.columns[table]
                if connection.vendor == "postgresql":
                    self._copy(cursor, table, columns, rows)
                else:
                    placeholders = ", ".join(["%s"] * len(columns))
                    cursor.executemany(
                        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",
                        rows,
                    )
        self.rows = {}

    @staticmethod
    def _copy(cursor, table, columns, rows):
        import io

        def cell(value):
            if value is None:
                return r"\N"
            if value is True:
                return "t"
            if value is False:
                return "f"
            text = value.isoformat() if isinstance(value, datetime.datetime) else str(value)
            return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")

        buffer = io.StringIO()
        for row in rows:
            buffer.write("\t".join(cell(value) for value in row))
            buffer.write("\n")
        buffer.seek(0)
        cursor.cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def _next_ids(*models):
    with connection.cursor() as cursor:
        result = []
        for model in models:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model._meta.db_table}")
            result.append(cursor.fetchone()[0] + 1)
        return result


def _reset_sequences(*models):
    if connection.vendor != "postgresql":
        return  # SQLite's AUTOINCREMENT follows explicit ids by itself
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))",
                [table],
            )


ARTICLE_COLUMNS = ("id", "title", "slug", "body", "summary", "source_url", "author", "published", "imported_at")
ARTICLE_COLUMNS += ("updated_at", "status", "content_hash", "study_type", "journal", "doi", "pmid")
ARTICLE_COLUMNS += ("regulatory_status", "canonical_id", "source_id")
LINK_COLUMNS = ("id", "article_id", "{entity}_id", "origin", "status", "confidence", "matched_text", "first_offset")
LINK_COLUMNS += ("mention_count", "in_title", "published", "created_at")


def generate(*, articles, seed, write):
    """Write `articles` synthetic articles with links and search-index rows."""
    if articles < 1:
        raise ValueError("--articles must be at least 1.")
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    started = time.monotonic()
    drugs, conditions, institutions = _pools(rng)
    sources = []
    for number in range(1, SOURCES + 1):
        source, _ = Source.objects.get_or_create(
            slug=f"syn-wire-{number:02d}", defaults={"name": f"Synthetic Wire {number:02d}"}
        )
        sources.append(source.pk)
    source_weights = zipf_weights(len(sources), 1.0, 2)
    word_weights = zipf_weights(len(WORDS), 0.9, 5)
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    span = YEARS * 365 * 86400

    article_id, cond_id, drug_id, inst_id = _next_ids(Article, ArticleCondition, ArticleDrug, ArticleInstitution)
    first_article_id = article_id
    link_specs = (
        (ArticleDrug, "drug", drugs, (0, 30, 35, 25, 10)),
        (ArticleCondition, "condition", conditions, (0, 30, 35, 25, 10)),
        (ArticleInstitution, "institution", institutions, (25, 40, 25, 10)),
    )
    next_link_ids = {ArticleCondition: cond_id, ArticleDrug: drug_id, ArticleInstitution: inst_id}
    recent = []  # recent originals, for syndicated copies
    writer = _Writer()
    title_chars, average_title = 0, None
    content_type = ContentType.objects.get_for_model(Article).pk
    write(f"Generating {articles:,} synthetic articles (seed {seed})…")

    for number in range(articles):
        published = now - datetime.timedelta(seconds=int(span * rng.random() ** 1.6))
        roll = rng.random()
        status = (
            ArticleStatus.DRAFT if roll < 0.02 else ArticleStatus.WITHDRAWN if roll < 0.03 else ArticleStatus.PUBLISHED
        )
        source_id = sources[bisect.bisect(source_weights, rng.random() * source_weights[-1])]
        copy_of = recent[rng.randrange(len(recent))] if recent and rng.random() < 0.03 else None
        if copy_of:
            title, summary, body, mentions, canonical = copy_of[1], copy_of[2], copy_of[3], copy_of[4], copy_of[0]
            published = copy_of[5] + datetime.timedelta(hours=rng.randint(1, 48))
        else:
            canonical = None
            title, summary, body, mentions = _story(rng, link_specs, word_weights)
        public_date = published if status == ArticleStatus.PUBLISHED else None
        writer.add(
            Article._meta.db_table,
            ARTICLE_COLUMNS,
            (
                article_id,
                title[:500],
                f"{SLUG_PREFIX}{article_id}",
                body,
                summary,
                f"https://synthetic.invalid/{article_id}",
                "",
                published,
                now,
                now,
                status,
                "",
                "",
                "",
                "",
                "",
                "",
                canonical,
                source_id,
            ),
        )
        for model, entity, entity_pk, text, offset, count, in_title, link_status, confidence in mentions:
            writer.add(
                model._meta.db_table,
                [c.format(entity=entity) for c in LINK_COLUMNS],
                (
                    next_link_ids[model],
                    article_id,
                    entity_pk,
                    "auto",
                    link_status,
                    confidence,
                    text[:300],
                    offset,
                    count,
                    in_title,
                    public_date,
                    now,
                ),
            )
            next_link_ids[model] += 1
        if connection.vendor == "sqlite":
            title_chars += len(title)
            title_norm = title_chars / (number + 1) / max(len(title), 1)
            writer.add(
                "modelsearch_indexentry",
                ("content_type_id", "object_id", "title", "autocomplete", "body", "title_norm"),
                (content_type, str(article_id), title, title, f"{summary} {body}", title_norm),
            )
        if not copy_of:
            recent.append((article_id, title, summary, body, mentions, published))
            if len(recent) > 2000:
                recent.pop(0)
        article_id += 1
        if (number + 1) % BATCH == 0 or number + 1 == articles:
            with transaction.atomic():
                writer.flush()
                if connection.vendor == "postgresql":
                    average_title = _index_postgres(
                        content_type, article_id - ((number % BATCH) + 1), article_id - 1, average_title
                    )
            if (number + 1) % (BATCH * 10) == 0 or number + 1 == articles:
                elapsed = time.monotonic() - started
                write(f"  {number + 1:,} articles ({(number + 1) / elapsed:,.0f}/s)")

    _reset_sequences(Article, ArticleCondition, ArticleDrug, ArticleInstitution)
    Source.objects.update_or_create(
        slug=META_SLUG,
        defaults={
            "name": "Synthetic corpus (bench)",
            "homepage": f"https://synthetic.invalid/?n={articles}&seed={seed}&first={first_article_id}",
        },
    )
    # Statistics for the planner and, on PostgreSQL, the visibility map that lets
    # covering indexes answer without the heap — what autovacuum gives a live site.
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    write("Vacuuming and analysing tables…" if vacuum else "Analysing tables…")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
    write(f"Corpus ready in {time.monotonic() - started:,.0f}s.")


def _sentence(tokens):
    text = " ".join(tokens)
    return text[:1].upper() + text[1:] + "."


def _story(rng, link_specs, word_weights):
    """(title, summary, body, mentions) of one synthetic article."""
    picked = []  # (model, entity, pk, names)
    for model, entity, pool, size_weights in link_specs:
        for index in pool.pick(rng, _sizes(rng, size_weights)):
            picked.append((model, entity, pool.ids[index], pool.names[index]))
    tokens = rng.choices(WORDS, cum_weights=word_weights, k=400)
    placements = []  # (model, entity, pk, texts)
    for model, entity, pk, names in picked:
        count = min(1 + int(rng.expovariate(0.6)), 12)
        texts = [_choose_name(rng, names) for _ in range(count)]
        for text in texts:
            tokens.insert(rng.randrange(len(tokens) + 1), text)
        placements.append((model, entity, pk, texts))
    sentences = [_sentence(tokens[i : i + 14]) for i in range(0, len(tokens), 14)]
    body = "\n\n".join(" ".join(sentences[i : i + 5]) for i in range(0, len(sentences), 5))

    main = {}
    for _model, entity, _pk, texts in placements:
        main.setdefault(entity, texts[0])
    template = rng.choice(TITLE_TEMPLATES)
    if "drug" not in main or "condition" not in main:
        template = "New findings reported by {institution}" if "institution" in main else "New findings reported"
    elif "{institution}" in template and "institution" not in main:
        template = TITLE_TEMPLATES[0]
    title = template.format(verb=rng.choice(VERBS), adj=rng.choice(ADJECTIVES), **main)
    title = title[:1].upper() + title[1:]
    summary_tokens = rng.choices(WORDS, cum_weights=word_weights, k=24)
    if "drug" in main:
        summary_tokens.insert(6, main["drug"])
    summary = _sentence(summary_tokens)

    lowered_title, lowered_body = title.lower(), body.lower()
    mentions = []
    for model, entity, pk, texts in placements:
        offset = lowered_body.find(texts[0].lower())
        roll = rng.random()
        status = "rejected" if roll < 0.02 else "confirmed" if roll < 0.15 else "suggested"
        mentions.append(
            (
                model,
                entity,
                pk,
                texts[0],
                offset if offset >= 0 else None,
                len(texts),
                any(text.lower() in lowered_title for text in set(texts)),
                status,
                1.0 if status == "confirmed" else round(0.55 + 0.45 * rng.random(), 2),
            )
        )
    return title, summary, body, mentions


def _index_postgres(content_type, first, last, average_title):
    """The rows modelsearch's PostgreSQL index would hold for articles first..last.

    title_norm is the average title length (in lexemes) over this title's, as
    modelsearch keeps it; the average is taken from the first batch. Returns it.
    """
    table = Article._meta.db_table
    norm = "1.0" if average_title is None else "COALESCE(%s / NULLIF(length(to_tsvector(title)), 0), 1.0)"
    params = [content_type] + ([] if average_title is None else [average_title]) + [first, last]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO modelsearch_indexentry
                (content_type_id, object_id, title, autocomplete, body, title_norm, title_text, body_text)
            SELECT %s, CAST(id AS varchar),
                   setweight(to_tsvector(title), 'A'),
                   setweight(to_tsvector('simple', title), 'D'),
                   setweight(to_tsvector(summary), 'B') || setweight(to_tsvector(body), 'D'),
                   {norm}, title, summary || ' ' || body
            FROM {table} WHERE id BETWEEN %s AND %s
            """,
            params,
        )
        if average_title is None:
            cursor.execute(
                "SELECT AVG(length(title)) FROM modelsearch_indexentry WHERE content_type_id = %s "
                "AND title_norm = 1.0 AND length(title) > 0",
                [content_type],
            )
            average_title = float(cursor.fetchone()[0] or 1.0)
            cursor.execute(
                "UPDATE modelsearch_indexentry SET title_norm = %s / length(title) "
                "WHERE content_type_id = %s AND title_norm = 1.0 AND length(title) > 0",
                [average_title, content_type],
            )
    return average_title
