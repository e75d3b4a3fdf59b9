"""The import pipeline: records → validated, cleaned, deduplicated, linked articles.

``import_records(records, publish=..., source=..., dry_run=..., user=...)`` is the one
entry point for the command line (``import_articles``) and the admin (uploads, pasted
text): give it what ``extract.read_path`` / ``read_upload`` / ``read_pasted`` yield and
it returns an ``ImportReport`` listing, for every record, what happened and why.

Per record, in one transaction: validate (title, body, URL, date) → clean → same URL?
update it (or report it unchanged) → same text? report the duplicate → near-identical
text from another outlet? store it as a syndicated copy of the original → link
conditions, drugs and institutions → extract evidence facts → save (and publish, which
copies the date onto the link rows). A failing record is rolled back alone and reported
with its file, line or record number and reason; the others are imported.

Re-importing keeps editors' decisions: links an editor confirmed, rejected or added are
never touched; only the machine's own suggestions are refreshed (added, updated, or
removed when the new text no longer mentions the entity). Evidence facts are only
filled where empty.
"""

import html
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime

import nh3
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history

from .. import services
from ..models import (
    Article,
    ArticleCondition,
    ArticleDrug,
    ArticleInstitution,
    ArticleStatus,
    ArticleTrial,
    Institution,
    InstitutionAlias,
    InstitutionKind,
    LinkOrigin,
    LinkStatus,
    Origin,
    Source,
)
from ..text import content_hash, normalize, squash_spaces
from . import dedupe, evidence
from .clean import clean_text, split_title
from .extract import ReadError, Record, Skipped, extract_html
from .matcher import CONDITION, DRUG, INSTITUTION, get_matcher

LINK_MODEL = {CONDITION: ArticleCondition, DRUG: ArticleDrug, INSTITUTION: ArticleInstitution}
TITLE_MAX = 500
LEDE_TITLE_MAX = 300
# Institutions that are news in a medical knowledge base by themselves; universities,
# companies and the like are linked only in a story that also links a condition or drug.
ALWAYS_MEDICAL_KINDS = {InstitutionKind.HOSPITAL, InstitutionKind.REGULATOR, InstitutionKind.JOURNAL}


class RecordError(Exception):
    """A record that cannot be imported; the message says why."""


# --------------------------------------------------------------------------- report

CREATED, UPDATED, UNCHANGED, DUPLICATE, SYNDICATED, FAILED, SKIPPED = (
    "created",
    "updated",
    "unchanged",
    "duplicate",
    "syndicated",
    "failed",
    "skipped",
)


@dataclass
class ItemResult:
    status: str
    where: str
    message: str = ""
    slug: str = ""
    article_id: int | None = None

    def __str__(self):
        return f"{self.where}: {self.message}" if self.message else self.where


@dataclass
class ImportReport:
    dry_run: bool = False
    items: list = field(default_factory=list)
    links: int = 0
    new_institutions: list = field(default_factory=list)

    def add(self, item):
        self.items.append(item)
        return item

    def of(self, *statuses):
        return [item for item in self.items if item.status in statuses]

    @property
    def counts(self):
        tally = Counter(item.status for item in self.items)
        return {
            "imported": tally[CREATED] + tally[SYNDICATED],
            "updated": tally[UPDATED],
            "duplicates": tally[UNCHANGED] + tally[DUPLICATE],
            "syndicated copies": tally[SYNDICATED],
            "failed": tally[FAILED],
            "skipped files": tally[SKIPPED],
        }

    @property
    def failed(self):
        return self.of(FAILED)

    @property
    def changed(self):
        return bool(self.of(CREATED, SYNDICATED, UPDATED))

    def summary(self):
        counts = self.counts
        text = ", ".join(f"{counts[name]} {name}" for name in ("imported", "updated", "duplicates"))
        text += f", {counts['syndicated copies']} syndicated copies, {counts['failed']} failed"
        if counts["skipped files"]:
            text += f", {counts['skipped files']} files skipped"
        if self.dry_run:
            text += " (dry run: nothing was saved)"
        elif not self.changed and not counts["failed"]:
            text += " — nothing changed"
        return text


# --------------------------------------------------------------------------- validation


@dataclass
class Prepared:
    where: str
    title: str
    body: str
    url: str | None
    source_name: str
    published: datetime | None
    author: str
    summary: str
    content_hash: str
    removed: list


def plain(text):
    """Text with any markup removed (nh3 strips tags; entities become characters)."""
    text = text or ""
    if "<" in text or "&" in text:
        text = html.unescape(nh3.clean(text, tags=set()))
    return squash_spaces(text)


def parse_published(value):
    """An aware datetime from ISO 8601, RFC 2822 or a Unix time; RecordError if not a date."""
    if value in (None, ""):
        return None
    parsed = None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, int | float):
        try:
            parsed = datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            parsed = None
    elif isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
        except ValueError:
            try:
                parsed = parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                parsed = None
    if parsed is None:
        raise RecordError(f"bad date {value!r}: use ISO 8601 such as 2024-11-26 or 2024-11-26T14:30:00Z")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, timezone.get_default_timezone())
    if parsed.year < 1900 or parsed > timezone.now() + timedelta(days=2):
        raise RecordError(f"bad date {value!r}: it is before 1900 or in the future")
    return parsed


_url_validator = URLValidator(schemes=["http", "https"])


def clean_url(value):
    url = (value or "").strip()
    if not url:
        return None
    if len(url) > 1000:
        raise RecordError("url is longer than 1000 characters")
    try:
        _url_validator(url)
    except ValidationError as exc:
        raise RecordError(f"invalid url {url[:100]!r}: it must be an http(s) address") from exc
    return url


def prepare(record, *, default_source=""):
    """Validate and clean one record: a Prepared, or RecordError naming what is wrong."""
    if record.problems:
        raise RecordError("; ".join(record.problems))
    title, body, summary = record.title, record.body, record.summary
    url, published, author, source = record.url, record.published, record.author, record.source
    if record.html:
        meta = extract_html(record.html, url=record.url)
        if not meta.get("text"):
            raise RecordError("no story text found in the HTML")
        title = title or meta["title"]
        body = meta["text"]
        url = url or meta["url"]
        published = published or meta["published"]
        author = author or meta["author"]
        source = source or meta["source"]
        summary = summary or meta["summary"]
    elif record.from_txt:
        title, body = split_title(body)
    title, author, summary = plain(title), plain(author), plain(summary)
    if not title:
        raise RecordError("missing title")
    if len(title) > TITLE_MAX:
        if not record.from_txt:
            raise RecordError(f"title is {len(title)} characters long; the limit is {TITLE_MAX}")
        title = title[:LEDE_TITLE_MAX].rsplit(" ", 1)[0] + "…"
    if "<" in body and not record.html:
        body = html.unescape(nh3.clean(body, tags=set()))
    cleaned = clean_text(body, title=title, author=author)
    if not cleaned.body:
        removed = f" ({len(cleaned.removed)} lines of boilerplate removed)" if cleaned.removed else ""
        raise RecordError(f"empty body{removed}")
    return Prepared(
        where=record.where,
        title=title,
        body=cleaned.body,
        url=clean_url(url),
        source_name=plain(source or default_source)[:200],
        published=parse_published(published),
        author=author[:300],
        summary=summary,
        content_hash=content_hash(cleaned.body),
        removed=cleaned.removed,
    )


# --------------------------------------------------------------------------- linking


def confidence(candidate, *, count, in_title, contested=False, new_institution=False):
    """How sure the machine is (0-1), shown to editors to sort what to review first.

    Base by how the name matched: 0.90 for the entity's own name, a curated alias or a
    capitalised brand; 0.85 for an exact-case abbreviation; 0.80 for another package
    synonym; 0.70 for an ambiguous institution name confirmed by context; 0.50 for a new
    institution found by the shape of its name. Minus 0.10 when another entity shares the
    name (a curated alias won), minus 0.05 for names of five letters or fewer. Plus 0.03
    per further mention (up to three) and 0.05 when the title names it. At most 0.99.
    """
    if new_institution:
        base = 0.5
    elif candidate.needs_context:
        base = 0.7
    elif candidate.match_case:
        base = 0.85
    elif candidate.is_brand or candidate.curated or candidate.is_name:
        base = 0.9
    else:
        base = 0.8
    if contested:
        base -= 0.1
    if candidate is not None and not candidate.match_case and sum(c.isalpha() for c in candidate.text) <= 5:
        base -= 0.05
    score = base + 0.03 * min(max(count - 1, 0), 3) + (0.05 if in_title else 0)
    return round(min(score, 0.99), 2)


@dataclass
class Found:
    entity_type: str
    entity_id: int
    kind: str = ""
    matched_text: str = ""
    first_offset: int | None = None
    count: int = 0
    in_title: bool = False
    candidate: object = None
    contested: bool = False
    new_institution: bool = False


def _is_machine_suggestion(link):
    """A link no editor has touched: the only kind an import may change or remove."""
    return link.origin == LinkOrigin.AUTO and link.status == LinkStatus.SUGGESTED and link.reviewed_at is None


class Linker:
    """Finds an article's entities with the matcher; creates suggested new institutions."""

    def __init__(self, matcher, report):
        self.matcher = matcher
        self.report = report
        self._institution_kinds = {}
        self._new_institutions = {}  # normalised name -> Institution, for this run

    def find(self, title, body):
        found = {}
        medical = False
        new_names = {}
        for text, in_title in ((body, False), (title, True)):
            result = self.matcher.match(text)
            for mention in result.mentions:
                key = (mention.entity_type, mention.entity_id)
                item = found.get(key)
                if item is None:
                    item = found[key] = Found(
                        mention.entity_type, mention.entity_id, kind=mention.candidate.kind, candidate=mention.candidate
                    )
                item.contested = item.contested or mention.contested
                medical = medical or mention.entity_type in (CONDITION, DRUG)
                if in_title:
                    item.in_title = True
                    item.matched_text = item.matched_text or mention.text
                else:
                    item.count += 1
                    if item.first_offset is None:
                        item.first_offset, item.matched_text = mention.start, mention.text
            for new in result.new_institutions:
                entry = new_names.setdefault(normalize(new.name), [new, 0, None, False])
                if in_title:
                    entry[3] = True
                else:
                    entry[1] += 1
                    if entry[2] is None:
                        entry[2] = new.start
        if not medical:
            found = {k: v for k, v in found.items() if k[0] != INSTITUTION or v.kind in ALWAYS_MEDICAL_KINDS}
            return list(found.values())
        for normalized, (new, count, offset, in_title) in new_names.items():
            institution = self._institution_for(normalized, new)
            key = (INSTITUTION, institution.pk)
            if key not in found:
                found[key] = Found(
                    INSTITUTION,
                    institution.pk,
                    kind=institution.kind,
                    matched_text=new.name,
                    first_offset=offset,
                    count=count,
                    in_title=in_title,
                    new_institution=institution.origin == Origin.AUTO,
                )
        return list(found.values())

    def _institution_for(self, normalized, new):
        institution = self._new_institutions.get(normalized)
        if institution is None:
            institution = Institution.objects.filter(aliases__normalized=normalized).order_by("pk").first()
        if institution is None:
            institution = Institution.objects.create(
                name=new.name[:255],
                slug=services.unique_slug(Institution, new.name),
                kind=new.kind,
                origin=Origin.AUTO,
                description="Suggested by the importer: a name shaped like an institution that the vocabulary lacks.",
            )
            InstitutionAlias.objects.create(
                institution=institution, text=new.name[:300], kind="name", origin=Origin.AUTO
            )
            self.report.new_institutions.append(institution.name)
        self._new_institutions[normalized] = institution
        return institution

    def save_links(self, article, found):
        """Create or refresh the machine's suggestions; editors' decisions stay. Returns the count."""
        existing = {}
        for entity_type, link_model in LINK_MODEL.items():
            for link in link_model.objects.filter(article=article):
                existing[(entity_type, getattr(link, f"{link_model.entity_field}_id"))] = link
        to_create = {entity_type: [] for entity_type in LINK_MODEL}
        to_update = {entity_type: [] for entity_type in LINK_MODEL}
        seen = set()
        for item in found:
            key = (item.entity_type, item.entity_id)
            seen.add(key)
            values = {
                "confidence": confidence(
                    item.candidate,
                    count=item.count,
                    in_title=item.in_title,
                    contested=item.contested,
                    new_institution=item.new_institution,
                ),
                "matched_text": item.matched_text[:300],
                "first_offset": item.first_offset,
                "mention_count": item.count,
                "in_title": item.in_title,
            }
            link = existing.get(key)
            link_model = LINK_MODEL[item.entity_type]
            if link is None:
                to_create[item.entity_type].append(
                    link_model(
                        article=article,
                        origin=LinkOrigin.AUTO,
                        status=LinkStatus.SUGGESTED,
                        **{f"{link_model.entity_field}_id": item.entity_id},
                        **values,
                    )
                )
            elif _is_machine_suggestion(link) and any(getattr(link, n) != v for n, v in values.items()):
                for name, value in values.items():
                    setattr(link, name, value)
                to_update[item.entity_type].append(link)
        for entity_type, link_model in LINK_MODEL.items():
            if to_create[entity_type]:
                bulk_create_with_history(to_create[entity_type], link_model)
            if to_update[entity_type]:
                link_model.objects.bulk_update(
                    to_update[entity_type], ["confidence", "matched_text", "first_offset", "mention_count", "in_title"]
                )
        stale = {entity_type: [] for entity_type in LINK_MODEL}
        for (entity_type, entity_id), link in existing.items():
            if (entity_type, entity_id) not in seen and _is_machine_suggestion(link):
                stale[entity_type].append(link.pk)
        for entity_type, link_model in LINK_MODEL.items():
            if stale[entity_type]:
                link_model.objects.filter(pk__in=stale[entity_type]).delete()
        return sum(len(v) for v in to_create.values())


# --------------------------------------------------------------------------- the pipeline


class Importer:
    def __init__(self, *, publish=False, source="", user=None, dry_run=False, matcher=None):
        self.publish = publish
        self.default_source = source or ""
        self.user = user
        self.report = ImportReport(dry_run=dry_run)
        self.linker = Linker(matcher or get_matcher(), self.report)
        self._sources = {}

    def source_for(self, name):
        if not name:
            return None
        slug = slugify(name)[:200] or "source"
        if slug not in self._sources:
            source = Source.objects.filter(slug=slug).first() or Source.objects.filter(name=name).first()
            if source is None:
                source = Source.objects.create(name=name, slug=slug)
            self._sources[slug] = source
        return self._sources[slug]

    def run_one(self, record):
        if isinstance(record, ReadError):
            return self.report.add(ItemResult(FAILED, record.where, record.reason))
        if isinstance(record, Skipped):
            return self.report.add(ItemResult(SKIPPED, record.where, record.reason))
        if not isinstance(record, Record):
            return self.report.add(ItemResult(FAILED, "?", f"not a record: {type(record).__name__}"))
        try:
            prepared = prepare(record, default_source=self.default_source)
            with transaction.atomic():
                item = self._save(prepared)
        except RecordError as exc:
            item = ItemResult(FAILED, record.where, str(exc))
        except (DatabaseError, ValidationError, ValueError) as exc:
            item = ItemResult(FAILED, record.where, f"could not be saved: {exc}")
        return self.report.add(item)

    def _save(self, p):
        article = Article.objects.filter(source_url=p.url).first() if p.url else None
        if article is not None:
            return self._update(article, p)
        same = Article.objects.filter(content_hash=p.content_hash).only("pk", "slug").order_by("pk").first()
        if same is not None:
            return ItemResult(DUPLICATE, p.where, f"same text as {same.slug}; not imported again", same.slug, same.pk)
        shingle_set = dedupe.shingles(p.body)
        bands = dedupe.band_values(shingle_set)
        original, score = dedupe.find_original(shingle_set, bands)
        article = Article(
            title=p.title,
            slug=services.unique_slug(
                Article,
                p.title,
                max_length=100,
                suffixes=(p.source_name, p.published.date().isoformat() if p.published else ""),
            ),
            body=p.body,
            summary=p.summary,
            source=self.source_for(p.source_name),
            source_url=p.url,
            author=p.author,
            published=p.published,
            content_hash=p.content_hash,
            canonical=original,
            syndication_similarity=round(score, 3) if original else None,
        )
        found = self.linker.find(p.title, p.body)
        facts = self._facts(p, found)
        for name, value in facts.fields().items():
            setattr(article, name, value or (None if name in ("trial_phase", "participants") else ""))
        article.save()
        links = self._save_links(article, found)
        for registry_id in facts.trial_ids:
            ArticleTrial.objects.get_or_create(article=article, registry_id=registry_id)
        if original is None:
            dedupe.index_original(article, bands)
        self._publish(article)
        if original is not None:
            message = f"{article.slug}: a copy of {original.slug} (similarity {score:.2f}); {links} links"
            return ItemResult(SYNDICATED, p.where, message, article.slug, article.pk)
        return ItemResult(CREATED, p.where, f"{article.slug}: {links} links", article.slug, article.pk)

    def _update(self, article, p):
        values = {
            "title": p.title,
            "body": p.body,
            "content_hash": p.content_hash,
            **({"author": p.author} if p.author else {}),
            **({"summary": p.summary} if p.summary else {}),
            **({"published": p.published} if p.published else {}),
        }
        changed = [name for name, value in values.items() if getattr(article, name) != value]
        wants_publish = self.publish and article.status != ArticleStatus.PUBLISHED
        if not changed and not wants_publish:
            return ItemResult(UNCHANGED, p.where, f"already imported as {article.slug}; unchanged", article.slug)
        if changed:
            for name in changed:
                setattr(article, name, values[name])
            found = self.linker.find(p.title, p.body)
            facts = self._facts(p, found)
            for name, value in facts.fields().items():
                if value and not getattr(article, name):
                    setattr(article, name, value)
            article.save()
            for registry_id in facts.trial_ids:
                ArticleTrial.objects.get_or_create(article=article, registry_id=registry_id)
            if "body" in changed and article.canonical_id is None:
                dedupe.index_original(article, dedupe.band_values(dedupe.shingles(article.body)))
            self._save_links(article, found)
            if article.published and article.status == ArticleStatus.PUBLISHED:
                services.sync_link_dates(article_ids=[article.pk])
        self._publish(article)
        what = ", ".join(changed) if changed else "status"
        return ItemResult(UPDATED, p.where, f"{article.slug}: updated {what}", article.slug, article.pk)

    @staticmethod
    def _facts(p, found):
        """Evidence facts; the journal is the first journal institution the body names."""
        journals = sorted(
            (item for item in found if item.entity_type == INSTITUTION and item.kind == InstitutionKind.JOURNAL),
            key=lambda item: (item.first_offset is None, item.first_offset or 0),
        )
        names = []
        if journals:
            by_pk = dict(Institution.objects.filter(pk__in=[j.entity_id for j in journals]).values_list("pk", "name"))
            names = [by_pk[j.entity_id] for j in journals if j.entity_id in by_pk]
        return evidence.extract(f"{p.title}\n\n{p.body}", journals_found=names)

    def _save_links(self, article, found):
        count = self.linker.save_links(article, found)
        self.report.links += count
        return count

    def _publish(self, article):
        if self.publish and article.status != ArticleStatus.PUBLISHED:
            services.publish(article=article, by=self.user)


def import_records(records, *, publish=False, source="", dry_run=False, user=None, progress=None, matcher=None):
    """Import every record; returns an ImportReport. See the module docstring."""
    importer = Importer(publish=publish, source=source, user=user, dry_run=dry_run, matcher=matcher)
    if dry_run:
        with transaction.atomic():
            _run(importer, records, progress)
            transaction.set_rollback(True)
    else:
        _run(importer, records, progress)
    return importer.report


def _run(importer, records, progress):
    for n, record in enumerate(records, start=1):
        item = importer.run_one(record)
        if progress:
            progress(n, item)
