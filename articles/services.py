"""Writes that touch several models. Keyword-only arguments; each is one transaction."""

from django.db import transaction
from django.db.models import Case, DateTimeField, OuterRef, Subquery, Value, When
from django.utils import timezone
from django.utils.text import slugify

from .models import LINK_MODELS, Article, ArticleStatus


def sync_link_dates(*, article_ids):
    """Copy each article's published date onto its link rows while it is public (else NULL).

    The copy is what lets entity pages browse and count through the link tables.
    Call after anything that changes an article's status or published date.
    """
    article_ids = list(article_ids)
    if not article_ids:
        return
    public_date = Subquery(
        Article.objects.filter(pk=OuterRef("article_id"))
        .annotate(
            public_date=Case(
                When(status=ArticleStatus.PUBLISHED, then="published"),
                default=Value(None),
                output_field=DateTimeField(),
            )
        )
        .values("public_date")[:1]
    )
    for link_model in LINK_MODELS:
        link_model.objects.filter(article_id__in=article_ids).update(published=public_date)


@transaction.atomic
def set_status(*, article, status, by=None, when=None):
    """Move an article through draft → in review → published → withdrawn."""
    now = when or timezone.now()
    article.status = status
    article.status_changed_at = now
    if status == ArticleStatus.PUBLISHED:
        if article.published is None:
            article.published = now
        article.published_by = by
    article.full_clean()
    article.save()
    sync_link_dates(article_ids=[article.pk])
    return article


def publish(*, article, by=None, when=None):
    return set_status(article=article, status=ArticleStatus.PUBLISHED, by=by, when=when)


def unique_slug(model, text, *, max_length=None, suffixes=(), exclude_pk=None):
    """A slug for `text` unused in `model`: tries each suffix, then -2, -3, ..."""
    max_length = max_length or model._meta.get_field("slug").max_length
    base = slugify(text)[: max_length - 20].strip("-") or "item"
    taken = model.objects.exclude(pk=exclude_pk) if exclude_pk else model.objects.all()
    candidates = [base, *(f"{base}-{slugify(s)}" for s in suffixes if s)]
    for candidate in candidates:
        if not taken.filter(slug=candidate).exists():
            return candidate
    n = 2
    while taken.filter(slug=f"{base}-{n}").exists():
        n += 1
    return f"{base}-{n}"
