"""factory_boy factories for the domain model."""

import datetime

import factory
from django.utils import timezone

from articles import models


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Source
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Outlet {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))


class ConditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Condition
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Condition {n}")
    slug = factory.Sequence(lambda n: f"condition-{n}")
    mesh_id = factory.Sequence(lambda n: f"D{900000 + n:06d}")

    @factory.post_generation
    def tree_numbers(self, create, numbers, **kwargs):
        if not create:
            return
        for number in numbers or []:
            models.ConditionTreeNumber.objects.create(condition=self, number=number)

    @factory.post_generation
    def aliases(self, create, texts, **kwargs):
        if not create:
            return
        models.ConditionAlias.objects.create(condition=self, text=self.name, kind=models.AliasKind.NAME)
        for text in texts or []:
            models.ConditionAlias.objects.create(condition=self, text=text)


class DrugFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Drug
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Drugamab {n}")
    slug = factory.Sequence(lambda n: f"drug-{n}")
    drugbank_id = factory.Sequence(lambda n: f"DB{90000 + n:05d}")

    @factory.post_generation
    def aliases(self, create, texts, **kwargs):
        if not create:
            return
        models.DrugAlias.objects.create(drug=self, text=self.name, kind=models.AliasKind.NAME)
        for text in texts or []:
            models.DrugAlias.objects.create(drug=self, text=text)


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Institution

    name = factory.Sequence(lambda n: f"Institute {n}")
    slug = factory.Sequence(lambda n: f"institute-{n}")
    kind = models.InstitutionKind.UNIVERSITY


class ArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Article

    title = factory.Sequence(lambda n: f"Story number {n}")
    slug = factory.Sequence(lambda n: f"story-{n}")
    body = "First paragraph of the story.\n\nSecond paragraph of the story."
    source = factory.SubFactory(SourceFactory)
    source_url = factory.Sequence(lambda n: f"https://news.example/story-{n}")
    published = factory.Sequence(lambda n: timezone.now() - datetime.timedelta(days=n))
    status = models.ArticleStatus.DRAFT


def publish(article):
    """Publish through the service, so that link dates are copied."""
    from articles import services

    return services.publish(article=article)


def link(article, entity, **kwargs):
    """Link an article to a condition, drug or institution; returns the link row."""
    link_model = {
        models.Condition: models.ArticleCondition,
        models.Drug: models.ArticleDrug,
        models.Institution: models.ArticleInstitution,
    }[type(entity)]
    row = link_model.objects.create(article=article, **{link_model.entity_field: entity}, **kwargs)
    from articles import services

    services.sync_link_dates(article_ids=[article.pk])
    row.refresh_from_db()
    return row
