"""articles.bulk: the import's multi-row INSERT / COPY writes the same rows the ORM would."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from articles import bulk
from articles.models import Article, ArticleDrug, LinkOrigin, LinkStatus, SyndicationBand

from .factories import ArticleFactory, DrugFactory, SourceFactory

pytestmark = pytest.mark.django_db

AWKWARD = "Tab\there, new\nline, back\\slash, CR\r, quote ' \" and ünïcödé — \\N is text"


def test_insert_sets_keys_and_stores_every_value_as_the_orm_reads_it():
    source = SourceFactory()
    when = timezone.now().replace(microsecond=123456)
    articles = [
        Article(
            title=f"{AWKWARD} {n}",
            slug=f"bulk-{n}",
            body=AWKWARD,
            source=source,
            published=when - datetime.timedelta(days=n),
            imported_at=when,
            participants=None if n else 3,
            trial_phase=2,
        )
        for n in range(3)
    ]
    bulk.insert(Article, articles)
    assert all(a.pk for a in articles) and len({a.pk for a in articles}) == 3
    for article in articles:
        stored = Article.objects.get(pk=article.pk)
        assert (stored.title, stored.slug, stored.body) == (article.title, article.slug, AWKWARD)
        assert stored.published == article.published and stored.imported_at == when
        assert stored.participants == article.participants and stored.trial_phase == 2
        assert stored.updated_at is not None  # auto_now filled in
        assert stored.source_id == source.pk
    # The next ORM insert does not collide with the keys handed out.
    assert ArticleFactory().pk > max(a.pk for a in articles)


def test_insert_history_writes_what_simple_history_would():
    user = get_user_model().objects.create_user("editor")
    article = ArticleFactory(title=AWKWARD)
    drug = DrugFactory()
    links = [
        ArticleDrug(
            article=article,
            drug=drug,
            origin=LinkOrigin.AUTO,
            status=LinkStatus.SUGGESTED,
            confidence=0.875,
            matched_text="Jakafi",
            first_offset=0,
            mention_count=2,
            in_title=True,
        )
    ]
    bulk.insert(ArticleDrug, links)
    when = timezone.now()
    bulk.insert_history(links, when=when, user=user)
    bulk.insert_history([article], when=when)
    record = ArticleDrug.history.get(id=links[0].pk)
    assert (record.history_type, record.history_user, record.history_date) == ("+", user, when)
    assert (record.confidence, record.matched_text, record.in_title, record.mention_count) == (0.875, "Jakafi", True, 2)
    assert record.instance.drug == drug  # revertible: the snapshot rebuilds the link
    article_record = Article.history.filter(id=article.pk, history_user=None, history_date=when).get()
    assert article_record.title == AWKWARD


def test_insert_values_without_keys_and_with_many_rows():
    article = ArticleFactory()
    rows = [(article.pk, band, (band + 1) * 2**40) for band in range(24)]
    assert bulk.insert_values(SyndicationBand._meta.db_table, ["article_id", "band", "value"], rows) == []
    assert sorted(SyndicationBand.objects.values_list("band", "value")) == [(b, v) for _, b, v in rows]
    assert bulk.insert_values(SyndicationBand._meta.db_table, ["article_id", "band", "value"], []) == []


def test_copy_refuses_a_value_it_cannot_write_rather_than_guessing():
    with pytest.raises(TypeError, match="no COPY text form for list"):
        bulk._copy_value([1, 2])
