"""The editors' workbench on the admin index: what is waiting, and where to do it."""

from django import template
from django.urls import reverse

from .. import indexing
from ..admin.base import capped_count
from ..models import LINK_MODELS, Article, ArticleStatus, Feed

register = template.Library()
FAILING_SHOWN = 10


@register.inclusion_tag("admin/articles/workbench.html", takes_context=True)
def workbench(context):
    """Links to the review queues (with what is left to review), articles in review, import,
    and the followed feeds that are failing."""
    user = context["request"].user
    queues = [
        {
            "label": f"{link_model._meta.get_field(link_model.entity_field).verbose_name} links",
            "url": reverse(f"admin:articles_{link_model._meta.model_name}_changelist"),
            "pending": capped_count(link_model.objects.suggested()),
        }
        for link_model in LINK_MODELS
        if user.has_perm(f"articles.view_{link_model._meta.model_name}")
    ]
    can_view_articles = user.has_perm("articles.view_article")
    return {
        "queues": queues,
        "unindexed": capped_count(indexing.unindexed_published()) if can_view_articles else "0",
        "in_review": capped_count(Article.objects.filter(status=ArticleStatus.REVIEW)) if can_view_articles else None,
        "articles_url": reverse("admin:articles_article_changelist"),
        "import_url": reverse("admin:articles_article_import") if user.has_perm("articles.import_articles") else "",
        "failing_feeds": list(Feed.objects.failing()[:FAILING_SHOWN]) if user.has_perm("articles.view_feed") else [],
        "feeds_url": reverse("admin:articles_feed_changelist"),
    }
