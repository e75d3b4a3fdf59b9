"""Full text over modelsearch's index: SQLite FTS5 or PostgreSQL tsvector columns.

modelsearch keeps the index (``Article.search_fields``: title boosted, summary,
body) up to date on every save. We query its tables directly rather than through
``Article.objects.search()`` because search needs what that generic path cannot do
cheaply: rank only a capped set of candidates and combine with link-table results.
modelsearch's own query ranks every match (PostgreSQL joins through a text cast,
SQLite re-runs the MATCH per row), which is fine for the admin but not at a million
articles.

Words are normalised tokens (letters and digits only), passed as parameters and
quoted for FTS5, so no query syntax ("NEAR(", "*", quotes, OR) reaches the engine.
"""

# SQL here is assembled from constant fragments (table and column names); values are parameters.
# ruff: noqa: S608

from django.db import connection

from ..models import Article
from ..text import normalize
from .ranking import COMMON_SHARE

INDEX = "modelsearch_indexentry"
FTS = "modelsearch_indexentry_fts"
ARTICLE_TYPE = (
    "(SELECT id FROM django_content_type WHERE app_label = 'articles' AND model = 'article')"  # the Article rows
)


def _is_postgres():
    return connection.vendor == "postgresql"


def _fts5_phrase(word):
    return '"' + word.replace('"', '""') + '"'


def fts5_query(words, operator="AND"):
    """An FTS5 MATCH expression over title and body for `words` (all quoted)."""
    return "{body title} : (" + f" {operator} ".join(_fts5_phrase(w) for w in words) + ")"


def word_conditions(words):
    """(sql, params), PostgreSQL: index row `ie` holds every word, in its title or body.

    Each word is its own tsquery so that the GIN indexes on title and body both serve
    it (a word may be in the title, another in the body). Words are never stopwords
    of the text-search configuration: query.STOPWORDS holds PostgreSQL's English list.
    """
    conditions, params = [], []
    for word in words:
        conditions.append("(ie.title @@ plainto_tsquery(%s) OR ie.body @@ plainto_tsquery(%s))")
        params.extend([word, word])
    return " AND ".join(conditions), params


def phrase_condition(phrases):
    """(sql, params), PostgreSQL: index row `ie` holds any of `phrases` (each word in order) in
    its title or body; the GIN indexes on both serve it."""
    query = "(" + " || ".join(["phraseto_tsquery(%s)"] * len(phrases)) + ")"
    return f"(ie.title @@ {query} OR ie.body @@ {query})", [*phrases, *phrases]


# How many stories the index holds, for how common a word is (only queries with words beside
# names ask for it). Counted (an index-only count: a few ms at 100k stories); on PostgreSQL,
# from a larger index the planner's estimate is read instead (the table's row count as the
# last VACUUM or ANALYZE saw it): counting a million rows took 100 ms, twice per typo search.
ESTIMATE_FROM = 100_000


def indexed_documents_sql():
    count = f"(SELECT COUNT(*) FROM {INDEX})"
    if not _is_postgres():
        return count
    return (
        f"(SELECT CASE WHEN c.reltuples >= {ESTIMATE_FROM} THEN CAST(c.reltuples AS bigint) ELSE {count} END "
        f"FROM pg_class c WHERE c.oid = '{INDEX}'::regclass)"
    )


def _tsquery(text):
    """PostgreSQL: the tsquery of a word, or of a phrase (its words in that order)."""
    return "phraseto_tsquery(%s)" if " " in text else "plainto_tsquery(%s)"


def documents_holding(word, documents):
    """(sql, params) of a scalar: how many indexed titles or bodies hold `word` (or a phrase),
    counted only up to a share `ranking.COMMON_SHARE` of `documents` (a SQL expression: the
    whole index), plus one, so that the count stays cheap for a word most stories hold."""
    cap = f"CAST({documents} * {COMMON_SHARE} AS INTEGER) + 1"
    if _is_postgres():
        holds = f"ie.title @@ {_tsquery(word)} OR ie.body @@ {_tsquery(word)}"
        sql = f"(SELECT COUNT(*) FROM (SELECT 1 FROM {INDEX} ie WHERE {holds} LIMIT {cap}) holding)"
        return sql, [word, word]
    sql = f"(SELECT COUNT(*) FROM (SELECT 1 FROM {FTS} WHERE {FTS} MATCH %s LIMIT {cap}) holding)"
    return sql, [fts5_query([word])]


def matching_ids(words):
    """(sql, params): ids of articles whose indexed text has every word (any status)."""
    if _is_postgres():
        conditions, params = word_conditions(words)
        sql = (
            f"SELECT CAST(ie.object_id AS bigint) FROM {INDEX} ie "
            f"WHERE ie.content_type_id = {ARTICLE_TYPE} AND {conditions}"
        )
        return sql, params
    sql = (
        f"SELECT CAST(ie.object_id AS integer) FROM {FTS} JOIN {INDEX} ie ON ie.id = {FTS}.rowid "
        f"WHERE {FTS} MATCH %s AND ie.content_type_id = {ARTICLE_TYPE}"
    )
    return sql, [fts5_query(words)]


def rank_expression(words):
    """(sql, params) of a text-rank column over `ie` (PostgreSQL) or the FTS5 row (SQLite)."""
    if _is_postgres():
        query = " || ".join(_tsquery(word) for word in words)
        return f"(ts_rank(ie.title, {query}) * ie.title_norm + ts_rank(ie.body, {query}))", [*words, *words]
    # FTS5 columns are (autocomplete, body, title); bm25 is lower for better matches.
    return f"(-bm25({FTS}, 0.0, 1.0, 4.0))", []


# On SQLite, FTS5's bm25 first counts every document holding each word (~1 µs each): cheap
# for a brand, 100 ms and more for "cancer" at 100k. Up to this many documents it is used;
# beyond, the candidates' own text is scored in Python: 200 candidates cost ~10 ms when their
# text is ASCII, ~45 ms when all of it goes through the full normalisation (curly quotes).
BM25_MAX_DOCUMENTS = 4000


def rank(words, article_ids):
    """{article id: text rank} of the given articles for any of `words` (one or two queries).

    PostgreSQL: ts_rank of the indexed title and body of just those rows. SQLite: FTS5's
    bm25 when the words are rare (BM25_MAX_DOCUMENTS), else the same kind of score as
    ts_rank's over the candidates' text: how often the words occur, title counting most.
    Either is normalised by the best candidate's (``ranking.rerank``).
    """
    words, article_ids = list(words), list(article_ids)
    if not words or not article_ids:
        return {}
    placeholders = ", ".join(["%s"] * len(article_ids))
    object_ids = [str(pk) for pk in article_ids]
    rank_sql, rank_params = rank_expression(words)
    if _is_postgres():
        sql = (
            f"SELECT CAST(ie.object_id AS bigint), {rank_sql} FROM {INDEX} ie "
            f"WHERE ie.content_type_id = {ARTICLE_TYPE} AND ie.object_id IN ({placeholders})"
        )
        params = [*rank_params, *object_ids]
    elif _documents_holding(words, BM25_MAX_DOCUMENTS + 1) > BM25_MAX_DOCUMENTS:
        ranks = _rank_texts(words, _texts(article_ids))
        return {pk: ranks.get(pk, 0.0) for pk in article_ids}
    else:
        sql = (
            f"SELECT CAST(ie.object_id AS integer), {rank_sql} FROM {FTS} "
            f"JOIN {INDEX} ie ON ie.id = {FTS}.rowid "
            f"WHERE {FTS} MATCH %s AND ie.content_type_id = {ARTICLE_TYPE} AND ie.object_id IN ({placeholders})"
        )
        params = [*rank_params, fts5_query(words, "OR"), *object_ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {article_id: float(score or 0.0) for article_id, score in cursor.fetchall()}


def _documents_holding(words, limit):
    """SQLite: how many index rows hold any of `words`, counted up to `limit` (a bounded scan)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM {FTS} WHERE {FTS} MATCH %s LIMIT {int(limit)}) holding",
            [fts5_query(words, "OR")],
        )
        return cursor.fetchone()[0]


def _texts(article_ids):
    """{article id: (title, summary and body)} (one query)."""
    placeholders = ", ".join(["%s"] * len(article_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, title, summary, body FROM {Article._meta.db_table} WHERE id IN ({placeholders})",
            article_ids,
        )
        return {pk: (title or "", f"{summary or ''}\n{body or ''}") for pk, title, summary, body in cursor.fetchall()}


# BM25's term-frequency part (k1, b), without its inverse document frequency, which needs
# the whole index; the title weighs as in the SQLite rank expression above.
K1, B, TITLE_WEIGHT = 1.2, 0.75, 4.0


def _rank_texts(words, texts):
    """{id: rank} of (title, body) texts for any of the normalised `words`, 0 without any.

    A word counts where the text, normalised as aliases and queries are
    (``articles.text.normalize``), holds it as a whole word; a phrase where it holds its words
    in that order.
    """
    phrases = [tuple(word.split()) for word in words]

    def counts(text):
        tokens = normalize(text).split()
        hits = 0
        for phrase in phrases:
            if len(phrase) == 1:  # a word: list.count, as before (this runs over 200 candidates' text)
                hits += tokens.count(phrase[0])
                continue
            size = len(phrase)
            hits += sum(1 for i in range(len(tokens) - size + 1) if tuple(tokens[i : i + size]) == phrase)
        return hits, len(tokens)

    measured = {pk: (counts(title), counts(body)) for pk, (title, body) in texts.items()}
    average = sum(length for _, (_, length) in measured.values()) / max(len(measured), 1)

    def saturated(hits, length):
        return hits * (K1 + 1) / (hits + K1 * (1 - B + B * length / average)) if hits else 0.0

    return {pk: TITLE_WEIGHT * saturated(*title) + saturated(*body) for pk, (title, body) in measured.items()}
