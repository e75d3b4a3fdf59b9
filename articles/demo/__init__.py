"""The demo knowledge base: NewsBase's own articles (articles.toml), curated links included."""

import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.db import transaction
from django.utils.text import slugify

from .. import reports, services
from ..models import (
    ALIAS_MODELS,
    AliasKind,
    Article,
    ArticleCondition,
    ArticleDrug,
    ArticleInstitution,
    ArticleStatus,
    ArticleTrial,
    Condition,
    Drug,
    Institution,
    LinkOrigin,
    LinkStatus,
    Source,
)
from ..text import content_hash, normalize

DEMO_FILE = Path(__file__).resolve().parent / "articles.toml"
EVIDENCE_FIELDS = ("study_type", "trial_phase", "participants", "journal", "doi", "regulatory_status")
LINKS = (
    ("conditions", Condition, ArticleCondition),
    ("drugs", Drug, ArticleDrug),
    ("institutions", Institution, ArticleInstitution),
)


class DemoError(Exception):
    pass


@dataclass
class DemoReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    links: int = 0
    missing: list = field(default_factory=list)


def resolve_entity(model, name):
    """The entity called `name`: by its own name first, then by any alias."""
    alias_model = ALIAS_MODELS[model]
    entity_field = alias_model.entity_field
    aliases = alias_model.objects.filter(normalized=normalize(name)).order_by("kind", "pk")
    preferred = aliases.filter(kind=AliasKind.NAME).first() or aliases.first()
    return getattr(preferred, entity_field) if preferred else None


def _mentions(entity, article):
    """(matched text, first offset, count, in title) of the entity's names in the article."""
    return services.link_mentions(entity, title=article.title, body=article.body)


def _parse_published(record):
    value = record.get("published")
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise DemoError(f"{record.get('slug')}: bad published date {value!r}") from exc


def read(path=DEMO_FILE):
    with open(path, "rb") as fh:
        return tomllib.load(fh).get("article", [])


@transaction.atomic
def load(path=DEMO_FILE):
    """Create or update every demo article; returns a DemoReport. Idempotent."""
    records = read(path)
    report = DemoReport()
    by_slug = {}
    for record in records:
        article, state = _save_article(record)
        setattr(report, state, getattr(report, state) + 1)
        by_slug[article.slug] = (article, record)
    for article, record in by_slug.values():
        original = record.get("copy_of")
        if original:
            if original not in by_slug:
                raise DemoError(f"{article.slug}: copy_of names unknown article {original!r}")
            if article.canonical_id != by_slug[original][0].pk:
                article.canonical = by_slug[original][0]
                article.save(update_fields=["canonical"])
        report.links += _save_links(article, record, report)
        _set_status(article, record)
    services.sync_link_dates(article_ids=[a.pk for a, _ in by_slug.values()])
    reports.sync(article_ids=[a.pk for a, _ in by_slug.values()])
    return report


def _save_article(record):
    slug = record.get("slug") or slugify(record["title"])[:200]
    source = None
    if record.get("source"):
        source, _ = Source.objects.get_or_create(slug=slugify(record["source"]), defaults={"name": record["source"]})
    values = {
        "title": record["title"],
        "summary": record.get("summary", ""),
        "body": record["body"].strip(),
        "source": source,
        "source_url": record.get("source_url") or None,
        "author": record.get("author", ""),
        "published": _parse_published(record),
        "content_hash": content_hash(record["body"]),
        **{name: record.get(name, None if name in ("trial_phase", "participants") else "") for name in EVIDENCE_FIELDS},
    }
    article = Article.objects.filter(slug=slug).first()
    if article is None:
        article = Article(slug=slug, **values)
        article.full_clean()
        article.save()
        state = "created"
    else:
        changed = {name: value for name, value in values.items() if getattr(article, name) != value}
        state = "unchanged"
        if changed:
            for name, value in changed.items():
                setattr(article, name, value)
            article.full_clean()
            article.save()
            state = "updated"
    for registry_id in record.get("trial_ids", []):
        ArticleTrial.objects.get_or_create(article=article, registry_id=registry_id)
    return article, state


def _save_links(article, record, report):
    count = 0
    for key, model, link_model in LINKS:
        for name in record.get(key, []):
            entity = resolve_entity(model, name)
            if entity is None:
                report.missing.append(f"{article.slug}: {model._meta.verbose_name} {name!r}")
                continue
            matched_text, offset, mentions, in_title = _mentions(entity, article)
            link_model.objects.update_or_create(
                article=article,
                **{link_model.entity_field: entity},
                defaults={
                    "origin": LinkOrigin.EDITOR,
                    "status": LinkStatus.CONFIRMED,
                    "confidence": 1.0,
                    "matched_text": matched_text[:300],
                    "first_offset": offset,
                    "mention_count": mentions,
                    "in_title": in_title,
                },
            )
            count += 1
    return count


def _set_status(article, record):
    status = record.get("status", ArticleStatus.PUBLISHED)
    if status not in ArticleStatus.values:
        raise DemoError(f"{article.slug}: unknown status {status!r}")
    if article.status != status:
        services.set_status(article=article, status=status, when=article.published)
