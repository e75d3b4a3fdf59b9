"""Model constraints and QuerySets, on SQLite and PostgreSQL."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from articles import services
from articles.models import (
    Article,
    ArticleCondition,
    ArticleDrug,
    ArticleStatus,
    Condition,
    ConditionAlias,
    ConditionTreeNumber,
    Drug,
    DrugAlias,
    LinkStatus,
)

from .factories import (
    ArticleFactory,
    ConditionFactory,
    DrugFactory,
    InstitutionFactory,
    SourceFactory,
    link,
    publish,
)

pytestmark = pytest.mark.django_db


def test_duplicate_mesh_id_is_rejected():
    ConditionFactory(mesh_id="D000506")
    with pytest.raises(IntegrityError), transaction.atomic():
        ConditionFactory(mesh_id="D000506")


def test_conditions_without_mesh_id_may_coexist():
    ConditionFactory(mesh_id=None)
    ConditionFactory(mesh_id=None)
    assert Condition.objects.filter(mesh_id__isnull=True).count() == 2


def test_malformed_mesh_id_is_rejected_by_clean_and_database():
    condition = ConditionFactory.build(mesh_id="X123")
    with pytest.raises(ValidationError, match="MeSH descriptor id"):
        condition.clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        condition.save()


def test_duplicate_drugbank_id_is_rejected():
    DrugFactory(drugbank_id="DB08877")
    with pytest.raises(IntegrityError), transaction.atomic():
        DrugFactory(drugbank_id="DB08877")


def test_alias_is_unique_per_entity_by_normalised_text():
    drug = DrugFactory(name="Ruxolitinib")
    DrugAlias.objects.create(drug=drug, text="Jakafi", is_brand=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        DrugAlias.objects.create(drug=drug, text="JAKAFI")


def test_same_alias_may_belong_to_two_entities():
    first, second = DrugFactory(), DrugFactory()
    DrugAlias.objects.create(drug=first, text="AB-123")
    DrugAlias.objects.create(drug=second, text="ab 123")
    assert DrugAlias.objects.filter(normalized="ab 123").count() == 2


def test_alias_normalised_on_save():
    condition = ConditionFactory(name="Alzheimer Disease")
    alias = ConditionAlias.objects.create(condition=condition, text="Alzheimer’s")
    assert alias.normalized == "alzheimer"
    assert list(Condition.objects.matching_alias("ALZHEIMER'S")) == [condition]
    assert list(Condition.objects.matching_alias("alzheimer's DISEASE")) == [condition]


def test_published_article_needs_a_date():
    article = ArticleFactory(published=None)
    article.status = ArticleStatus.PUBLISHED
    with pytest.raises(ValidationError, match="publication date"):
        article.clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        article.save()


def test_source_url_unique_and_blank_allowed_many_times():
    ArticleFactory(source_url="https://news.example/a")
    ArticleFactory(source_url=None)
    ArticleFactory(source_url=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleFactory(source_url="https://news.example/a")


def test_article_cannot_be_its_own_canonical():
    article = ArticleFactory()
    article.canonical = article
    with pytest.raises(IntegrityError), transaction.atomic():
        article.save()


def test_link_is_unique_per_article_and_entity_and_confidence_bounded():
    article, drug = ArticleFactory(), DrugFactory()
    ArticleDrug.objects.create(article=article, drug=drug)
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleDrug.objects.create(article=article, drug=drug)
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleDrug.objects.create(article=ArticleFactory(), drug=drug, confidence=1.5)


def test_str_and_absolute_urls():
    source = SourceFactory(name="Health Ledger", slug="health-ledger")
    article = ArticleFactory(title="A story", slug="a-story", source=source)
    condition = ConditionFactory(name="Alopecia Areata", slug="alopecia-areata")
    drug = DrugFactory(name="Ruxolitinib", slug="ruxolitinib")
    institution = InstitutionFactory(name="Columbia University", slug="columbia-university")
    assert str(article) == "A story" and article.get_absolute_url() == "/articles/a-story/"
    assert str(condition) == "Alopecia Areata" and condition.get_absolute_url() == "/conditions/alopecia-areata/"
    assert str(drug) == "Ruxolitinib" and drug.get_absolute_url() == "/drugs/ruxolitinib/"
    assert institution.get_absolute_url() == "/institutions/columbia-university/"
    assert source.get_absolute_url() == "/articles/?source=health-ledger"
    link_row = link(article, drug)
    assert str(link_row) == "A story → Ruxolitinib"


def test_tree_numbers_give_parents_children_and_descendants():
    skin = ConditionFactory(name="Skin Diseases", tree_numbers=["C17.800"])
    hair = ConditionFactory(name="Hair Diseases", tree_numbers=["C17.800.329"])
    alopecia = ConditionFactory(name="Alopecia", tree_numbers=["C17.800.329.937.122", "C23.300.035"])
    areata = ConditionFactory(name="Alopecia Areata", tree_numbers=["C17.800.329.937.122.147"])
    unrelated = ConditionFactory(name="Asthma", tree_numbers=["C08.127.108"])
    # A sibling branch whose number starts with the same digits but is not below.
    ConditionFactory(name="Other", tree_numbers=["C17.8000"])

    assert ConditionTreeNumber.objects.get(number="C17.800.329").parent_number == "C17.800"
    assert list(areata.parents()) == [alopecia]
    assert list(alopecia.children()) == [areata]
    assert list(hair.children()) == []  # Alopecia is two levels below in this fixture
    assert set(skin.descendants()) == {hair, alopecia, areata}
    assert unrelated not in skin.descendants()


def test_tree_number_validation():
    assert ConditionTreeNumber.is_valid("C17.800.329")
    for bad in ("C17.80", "c17.800", "17.800", "C17..800", "C1"):
        assert not ConditionTreeNumber.is_valid(bad), bad


def test_published_hides_drafts_review_and_withdrawn():
    visible = publish(ArticleFactory())
    for status in (ArticleStatus.DRAFT, ArticleStatus.REVIEW, ArticleStatus.WITHDRAWN):
        ArticleFactory(status=status)
    assert list(Article.objects.published()) == [visible]


def test_for_drug_condition_institution_exclude_rejected_links():
    drug, condition, institution = DrugFactory(), ConditionFactory(), InstitutionFactory()
    confirmed = publish(ArticleFactory())
    suggested = publish(ArticleFactory())
    rejected = publish(ArticleFactory())
    link(confirmed, drug, status=LinkStatus.CONFIRMED)
    link(suggested, drug, status=LinkStatus.SUGGESTED)
    link(rejected, drug, status=LinkStatus.REJECTED)
    link(confirmed, condition)
    link(rejected, institution, status=LinkStatus.REJECTED)

    assert set(Article.objects.published().for_drug(drug)) == {confirmed, suggested}
    assert list(Article.objects.published().for_condition(condition)) == [confirmed]
    assert list(Article.objects.published().for_institution(institution)) == []


def test_for_condition_can_include_narrower_conditions():
    alopecia = ConditionFactory(tree_numbers=["C17.800.329.937.122"])
    areata = ConditionFactory(tree_numbers=["C17.800.329.937.122.147"])
    about_areata = publish(ArticleFactory())
    link(about_areata, areata)
    assert list(Article.objects.for_condition(alopecia)) == []
    assert list(Article.objects.for_condition(alopecia, include_narrower=True)) == [about_areata]


def test_chaining_published_for_drug_for_source_originals():
    drug = DrugFactory()
    outlet, other = SourceFactory(name="Outlet A"), SourceFactory(name="Outlet B")
    original = publish(ArticleFactory(source=outlet))
    copy = publish(ArticleFactory(source=other, canonical=original))
    for article in (original, copy):
        link(article, drug)
    qs = Article.objects.published().for_drug(drug)
    assert set(qs) == {original, copy}
    assert list(qs.originals()) == [original]
    assert list(qs.for_source(other)) == [copy]


def test_link_rows_carry_the_published_date_only_while_public():
    drug = DrugFactory()
    when = timezone.now() - datetime.timedelta(days=3)
    article = ArticleFactory(published=when)
    row = link(article, drug)
    assert row.published is None  # a draft is not public
    services.publish(article=article)
    row.refresh_from_db()
    assert row.published == when
    services.set_status(article=article, status=ArticleStatus.WITHDRAWN)
    row.refresh_from_db()
    assert row.published is None
    assert ArticleDrug.objects.public().count() == 0


def test_publishing_without_date_is_refused_never_dated_today():
    from django.contrib.auth import get_user_model

    editor = get_user_model().objects.create_user("reviewer")
    article = ArticleFactory(published=None)
    with pytest.raises(services.MissingDateError, match="no publication date"):
        services.publish(article=article, by=editor)
    article.refresh_from_db()
    assert (article.status, article.published) == (ArticleStatus.DRAFT, None)
    when = timezone.now() - datetime.timedelta(days=900)
    article.published = when
    services.publish(article=article, by=editor)
    article.refresh_from_db()
    assert (article.status, article.published, article.published_by) == (ArticleStatus.PUBLISHED, when, editor)
    assert article.status_changed_at is not None


def test_article_counts_count_public_links_only():
    drug = DrugFactory()
    link(publish(ArticleFactory()), drug)
    link(publish(ArticleFactory()), drug, status=LinkStatus.REJECTED)
    link(ArticleFactory(), drug)  # draft
    annotated = Drug.objects.with_article_count().get(pk=drug.pk)
    assert annotated.article_count == 1
    assert drug.public_article_count() == 1
    assert list(Drug.objects.having_articles()) == [drug]
    assert list(Condition.objects.having_articles()) == []


def test_listing_excludes_body_and_orders_newest_first():
    older = publish(ArticleFactory(published=timezone.now() - datetime.timedelta(days=10)))
    newer = publish(ArticleFactory(published=timezone.now() - datetime.timedelta(days=1)))
    listing = list(Article.objects.published().listing())
    assert listing == [newer, older]
    assert "body" in listing[0].get_deferred_fields()


def test_with_public_links_prefetches_in_constant_queries(django_assert_num_queries):
    drugs = [DrugFactory() for _ in range(3)]
    for _ in range(5):
        article = publish(ArticleFactory())
        for drug in drugs:
            link(article, drug)
        link(article, ConditionFactory(), status=LinkStatus.REJECTED)
    # 1 articles + 3 link tables, however many articles and links.
    with django_assert_num_queries(4):
        articles = list(Article.objects.published().listing().with_public_links())
        names = [[lk.drug.name for lk in a.public_drug_links] for a in articles]
        assert all(len(n) == 3 for n in names)
        assert all(a.public_condition_links == [] for a in articles)


def test_unique_slug_service():
    DrugFactory(slug="insulin")
    assert services.unique_slug(Drug, "Insulin") == "insulin-2"
    assert services.unique_slug(Drug, "Insulin", suffixes=["DB00030"]) == "insulin-db00030"
    assert ArticleCondition.objects.count() == 0
