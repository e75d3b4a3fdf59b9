"""Sitemaps: published originals, entities that have published articles, and the index pages.

``/sitemap.xml`` is the index; each section is paginated (``/sitemap-articles.xml?p=2``)
at LIMIT URLs a page. Syndicated copies are left out: their canonical URL is the
original's page. The index asks each section for its newest date with one aggregate
(Django's default reads every item of the section to find it).
"""

from django.contrib.sitemaps import Sitemap
from django.db.models import Max, OuterRef, Subquery
from django.urls import reverse

from .models import Article, Condition, Drug, DrugClass, Institution

LIMIT = 5000


class ArticleSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.6
    limit = LIMIT

    def items(self):
        return Article.objects.published().originals().only("slug", "updated_at").order_by("pk")

    def lastmod(self, article):
        return article.updated_at

    def get_latest_lastmod(self):
        return self.items().aggregate(latest=Max("updated_at"))["latest"]


class EntitySitemap(Sitemap):
    """Entities with published articles; last modified when their newest article was published."""

    model = None
    changefreq = "weekly"
    priority = 0.8
    limit = LIMIT

    def public_links(self):
        return self.model.article_links.rel.related_model.objects.public()

    def items(self):
        links = self.public_links()
        newest = links.filter(**{links.model.entity_field: OuterRef("pk")}).order_by("-published").values("published")
        return self.model.objects.having_articles().annotate(newest=Subquery(newest[:1])).only("slug").order_by("pk")

    def lastmod(self, entity):
        return entity.newest

    def get_latest_lastmod(self):
        return self.public_links().aggregate(latest=Max("published"))["latest"]


class ConditionSitemap(EntitySitemap):
    model = Condition


class DrugSitemap(EntitySitemap):
    model = Drug


class InstitutionSitemap(EntitySitemap):
    model = Institution


class DrugClassSitemap(EntitySitemap):
    model = DrugClass


class PageSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.5

    def items(self):
        return ["home", "article-list", "condition-list", "drug-list", "drug-class-list", "institution-list"]

    def location(self, name):
        return reverse(f"articles:{name}")


SITEMAPS = {
    "pages": PageSitemap,
    "articles": ArticleSitemap,
    "conditions": ConditionSitemap,
    "drugs": DrugSitemap,
    "institutions": InstitutionSitemap,
    "drug-classes": DrugClassSitemap,
}
