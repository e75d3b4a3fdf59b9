"""The editors' workbench on the admin index: what is waiting, and where to do it."""

from django import template
from django.urls import reverse

from ..admin.base import capped_count
from ..models import LINK_MODELS, Article, ArticleStatus

register = template.Library()


@register.inclusion_tag("admin/articles/workbench.html", takes_context=True)
def workbench(context):
    """Links to the review queues (with what is left to review), articles in review, import."""
    user = context["request"].user
    queues = [
        {
            "label": f"{link_model.entity_field} links",
            "url": reverse(f"admin:articles_{link_model._meta.model_name}_changelist"),
            "pending": capped_count(link_model.objects.suggested()),
        }
        for link_model in LINK_MODELS
        if user.has_perm(f"articles.view_{link_model._meta.model_name}")
    ]
    can_view_articles = user.has_perm("articles.view_article")
    return {
        "queues": queues,
        "in_review": capped_count(Article.objects.filter(status=ArticleStatus.REVIEW)) if can_view_articles else None,
        "articles_url": reverse("admin:articles_article_changelist"),
        "import_url": reverse("admin:articles_article_import") if user.has_perm("articles.import_articles") else "",
    }
