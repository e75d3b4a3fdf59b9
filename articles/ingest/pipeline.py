"""The import pipeline: records → validated, cleaned, deduplicated, linked articles.

``import_records(records, publish=..., source=..., dry_run=..., user=...)`` is the one
entry point for the command line (``import_articles``) and the admin (uploads, pasted
text): give it what ``extract.read_path`` / ``read_upload`` / ``read_pasted`` yield and
it returns an ``ImportReport`` listing, for every record, what happened and why.

Per record: validate (title, body, URL, date; no NUL, lone surrogate or body over
``IMPORT_MAX_BODY_BYTES``; plain text is never parsed as markup) →
clean → too little left to be a story? refuse it, saying what was removed → same URL?
update it (or report it unchanged) → same text from the same outlet? report the
duplicate → the same or near-identical text under another URL or from another outlet?
store it as a syndicated copy of the first-seen original (its own title, URL, source and
date) → link conditions, drugs and institutions → extract evidence facts. The outlet is
the record's source, or the host of its URL (``outlets.outlet_name``). Records go through that in batches of
``BATCH_SIZE``; the new articles of a batch (with their links, history, trial ids,
syndication bands and search-index rows, published from the start when asked) are then
written in one transaction — all of them or none, so no crash leaves an article out of
search; stories met again (duplicates, unchanged) get any missing index row back. If
that transaction fails, every article of the batch is written again in a transaction
of its own, so a bad record is rolled back alone and reported with its file, line or
record number and reason, and the others are imported. No article is ever half-written.
Updates of stored articles are one transaction each. A published article is updated
only by an import made by someone who may publish (a Reviewer; on the command line,
``--update-published``): anyone else's record with its URL fails, saying so.

Re-importing keeps editors' decisions: links an editor confirmed, rejected or added are
never touched; only the machine's own suggestions are refreshed (added, updated, or
removed when the new text no longer mentions the entity). Evidence facts are only
filled where empty.
"""

import dataclasses
import itertools
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import DatabaseError, connection, transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.text import slugify
from simple_history.utils import bulk_create_with_history

from .. import bulk, indexing, reports, services, stamp
from ..indexing import title_norms_deferred
from ..models import (
    Article,
    ArticleCondition,
    ArticleDrug,
    ArticleDrugClass,
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
from . import conditionrules, dedupe, evidence
from .clean import clean_text, is_interstitial, split_title
from .datelines import dateline_date
from .extract import LIMIT_NAME, ReadError, Record, Skipped, extract_html, max_body_bytes, max_html_bytes
from .matcher import CONDITION, DRUG, DRUG_CLASS, INSTITUTION, get_matcher
from .outlets import outlet_name, source_slug

LINK_MODEL = {
    CONDITION: ArticleCondition,
    DRUG: ArticleDrug,
    INSTITUTION: ArticleInstitution,
    DRUG_CLASS: ArticleDrugClass,
}
TITLE_MAX = 500
LEDE_TITLE_MAX = 300
# Fewer words than this after cleaning is not a story but what a scraper got instead
# (a section name, a newsletter prompt, the headline alone, a bot check).
MIN_STORY_WORDS = 15
# Institutions that are news in a medical knowledge base by themselves; universities,
# companies and the like are linked only in a story that also links a condition or drug.
ALWAYS_MEDICAL_KINDS = {InstitutionKind.HOSPITAL, InstitutionKind.REGULATOR, InstitutionKind.JOURNAL}


NOT_SAVED = "could not be saved"  # how a failure of the database (not of the record) begins


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


ITEMS_KEPT = 1000  # per status: the report's memory stays bounded; counts are always whole


@dataclass
class ImportReport:
    """What happened to every record: counts of all, and the first ITEMS_KEPT items of each
    status (``omitted`` counts the rest; the command line prints every failure as it comes)."""

    dry_run: bool = False
    items: list = field(default_factory=list)
    links: int = 0
    new_institutions: list = field(default_factory=list)
    tally: Counter = field(default_factory=Counter)
    omitted: Counter = field(default_factory=Counter)

    def add(self, item):
        self.tally[item.status] += 1
        if self.tally[item.status] > ITEMS_KEPT:
            self.omitted[item.status] += 1
        else:
            self.items.append(item)
        return item

    def of(self, *statuses):
        return [item for item in self.items if item.status in statuses]

    @property
    def counts(self):
        tally = self.tally
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
        return bool(self.tally[CREATED] + self.tally[SYNDICATED] + self.tally[UPDATED])

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
    normalized: str = ""  # normalize(body), shared by the content hash and the shingles


def plain(text):
    """A one-line plain-text value (title, author, summary, source) with its spaces
    squashed. Never parsed as markup: "a<b" and "&amp;" stay as written."""
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


_SCHEMELESS_URL = re.compile(r"^(?:[a-z0-9-]+\.)+[a-z]{2,63}(?::\d+)?(?:[/?#]|$)", re.IGNORECASE)


def clean_url(value):
    """The record's http(s) address, or None; an address written without its scheme
    ("www.outlet.com/story") gets "http://", as a browser would (servers redirect it)."""
    url = (value or "").strip()
    if not url:
        return None
    if "://" not in url and _SCHEMELESS_URL.match(url):
        url = f"http://{url}"
    if len(url) > 1000:
        raise RecordError("url is longer than 1000 characters")
    try:
        _url_validator(url)
    except ValidationError as exc:
        raise RecordError(f"invalid url {url[:100]!r}: it must be an http(s) address") from exc
    return url


def _what_was_removed(removed, *, lead=" ("):
    """ " (the title repeated; 2 lines of boilerplate: 'Sign up…')" for an error message."""
    if not removed:
        return ""
    reasons = Counter(reason for reason, _ in removed)
    first = removed[0][1]
    what = "; ".join(f"{n} line{'s' if n > 1 else ''} removed as {reason}" for reason, n in reasons.items())
    return f"{lead}{what}: {first[:60]!r}{')' if lead == ' (' else ''}"


TEXT_FIELDS = ("title", "body", "html", "url", "source", "published", "author", "summary")


def check_text(record):
    """RecordError for a field no database can store or that is too large: a NUL character
    (PostgreSQL refuses it), a lone surrogate (not Unicode text: it cannot be encoded), a
    body over IMPORT_MAX_BODY_BYTES or HTML over ten times that."""
    caps = {"body": (max_body_bytes(), LIMIT_NAME), "html": (max_html_bytes(), f"10 × {LIMIT_NAME}")}
    for name in TEXT_FIELDS:
        value = getattr(record, name)
        if not isinstance(value, str) or not value:
            continue
        if "\x00" in value:
            raise RecordError(
                f"{name} contains a NUL character (\\u0000) at position {value.index(chr(0)):,}; remove it"
            )
        try:
            size = len(value.encode("utf-8"))
        except UnicodeEncodeError as exc:
            raise RecordError(
                f"{name} contains a lone surrogate ({value[exc.start]!r} at position {exc.start:,}): "
                "not valid Unicode text; fix the file's encoding"
            ) from None
        if name in caps and size > caps[name][0]:
            cap, setting = caps[name]
            raise RecordError(f"{name} is {size:,} bytes; the limit is {cap:,} bytes ({setting})")


def prepare(record, *, default_source=""):
    """Validate and clean one record: a Prepared, or RecordError naming what is wrong."""
    if record.problems:
        raise RecordError("; ".join(record.problems))
    check_text(record)
    title, body, summary = record.title, record.body, record.summary
    url, published, author, source = record.url, record.published, record.author, record.source
    if record.html:
        meta = extract_html(record.html, url=record.url or record.page_url)
        if not meta.get("text"):
            raise RecordError("no story text found in the HTML")
        title = title or meta["title"]
        body = meta["text"]
        url = url or _on_site(meta["url"], record.page_url)
        published = published or meta["published"]
        author = author or meta["author"]
        source = source or meta["source"]
        summary = summary or meta["summary"]
    elif record.from_txt:
        title, body = split_title(body)
    # Plain text stays text: only HTML (above) is parsed, so "P<.001" or "a<b" loses nothing.
    title, author, summary = plain(title), plain(author), plain(summary)
    if not title:
        raise RecordError("missing title")
    if len(title) > TITLE_MAX:
        if not record.from_txt:
            raise RecordError(f"title is {len(title)} characters long; the limit is {TITLE_MAX}")
        title = title[:LEDE_TITLE_MAX].rsplit(" ", 1)[0] + "…"
    url = clean_url(url)
    published = parse_published(published)
    if is_interstitial(title, body):
        raise RecordError(f"no story: the page is a bot check, browser notice or error page ({title[:60]!r})")
    cleaned = clean_text(body, title=title, author=author)
    if not cleaned.body:
        raise RecordError(f"empty body{_what_was_removed(cleaned.removed)}")
    if published is None and not record.html:
        published = _stated_date(cleaned)
    if published is None:
        published = parse_published(record.default_published)
    words = len(cleaned.body.split())
    if words < MIN_STORY_WORDS:
        raise RecordError(
            f"no story: the body has {words} word{'s' if words != 1 else ''} ({cleaned.body[:60]!r}); "
            f"a story has at least {MIN_STORY_WORDS}{_what_was_removed(cleaned.removed, lead='; ')}"
        )
    normalized = normalize(cleaned.body)
    return Prepared(
        where=record.where,
        title=title,
        body=cleaned.body,
        url=url,
        source_name=outlet_name(source or default_source, url)[:200],
        published=published,
        author=author[:300],
        summary=summary,
        content_hash=content_hash(cleaned.body, normalized=normalized),
        removed=cleaned.removed,
        normalized=normalized,
    )


def _on_site(canonical, page_url):
    """A fetched page's address: the canonical one it states when that is on the site it
    was fetched from (a page may not claim another outlet's address), else where it was."""
    if not page_url or not canonical:
        return canonical or page_url
    return canonical if outlet_name("", canonical) == outlet_name("", page_url) else page_url


def _stated_date(cleaned):
    """The date a plain-text story's dateline states, or None (an impossible one is ignored)."""
    stated = dateline_date(cleaned.removed, cleaned.body.split("\n\n", 1)[0])
    try:
        return parse_published(stated)
    except RecordError:
        return None


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


LINK_FIELDS = ["confidence", "matched_text", "first_offset", "mention_count", "in_title"]


def _is_machine_suggestion(link):
    """A link no editor has touched: the only kind an import may change or remove."""
    return link.origin == LinkOrigin.AUTO and link.status == LinkStatus.SUGGESTED and link.reviewed_at is None


class Linker:
    """Finds an article's entities with the matcher; resolves suggested new institutions."""

    def __init__(self, matcher, report):
        self.matcher = matcher
        self.report = report
        self._new_institutions = {}  # normalised name -> Institution, for this run

    def find(self, title, body):
        """Found items for the entities the article mentions. Reads only; new institutions
        come back with entity_id None (``resolve`` looks them up or creates them)."""
        found = {}
        medical = False
        new_names = {}
        body_result = self.matcher.match(body)
        results = ((body_result, False), (self.matcher.match(title, defined=body_result.abbreviations), True))
        # Everyday words ("pain", "depression") without a medical cue in their sentence still
        # link when the story links a condition or drug that is not such a word.
        firm = any(
            m.entity_type in (CONDITION, DRUG) and not m.candidate.everyday for r, _ in results for m in r.mentions
        )
        for result, in_title in results:
            for mention in result.mentions + (result.held_back if firm else []):
                key = (mention.entity_type, mention.entity_id)
                item = found.get(key)
                if item is None:
                    item = found[key] = Found(
                        mention.entity_type, mention.entity_id, kind=mention.candidate.kind, candidate=mention.candidate
                    )
                item.contested = item.contested or mention.contested
                medical = medical or mention.entity_type in (CONDITION, DRUG, DRUG_CLASS)
                if in_title:
                    item.in_title = True
                    item.matched_text = item.matched_text or mention.text
                else:
                    item.count += 1
                    if item.first_offset is None:
                        item.first_offset, item.matched_text = mention.start, mention.text
            for new in result.new_institutions:
                item = new_names.get(normalize(new.name))
                if item is None:
                    item = new_names[normalize(new.name)] = Found(
                        INSTITUTION, None, kind=new.kind, matched_text=new.name, new_institution=True
                    )
                if in_title:
                    item.in_title = True
                else:
                    item.count += 1
                    if item.first_offset is None:
                        item.first_offset = new.start
        self._drop_generic_cancer(found, results)
        self._drop_general_of_induced(found)
        self._add_ingredients(found)
        if not medical:
            return [v for k, v in found.items() if k[0] != INSTITUTION or v.kind in ALWAYS_MEDICAL_KINDS]
        return [*found.values(), *new_names.values()]

    def _drop_generic_cancer(self, found, results):
        """'cancer', 'tumours' in a story that names a specific cancer are that cancer: no Neoplasms link."""
        general, specific = getattr(self.matcher, "neoplasms", (None, ()))
        if (CONDITION, general) not in found or not any((CONDITION, pk) in found for pk in specific):
            return
        texts = {
            normalize(m.text)
            for r, _ in results
            for m in r.mentions
            if (m.entity_type, m.entity_id) == (CONDITION, general)
        }
        if texts <= conditionrules.GENERIC_CANCER_WORDS:
            del found[(CONDITION, general)]

    def _drop_general_of_induced(self, found):
        """'levodopa-induced dyskinesia … the dyskinesia': the story's general word is the drug-induced condition."""
        keep = getattr(self.matcher, "keep_general", frozenset())
        for general, induced in getattr(self.matcher, "drug_induced", {}).items():
            if general not in keep and (CONDITION, general) in found and (CONDITION, induced.entity_id) in found:
                del found[(CONDITION, general)]

    def _add_ingredients(self, found):
        """A combination named ("Paxlovid") links each of its ingredients too, with the
        combination's matched text, mentions and place; an ingredient named itself keeps its own."""
        ingredients = self.matcher.ingredients
        for (entity_type, entity_id), item in list(found.items()):
            if entity_type != DRUG or entity_id not in ingredients:
                continue
            for ingredient in ingredients[entity_id]:
                if (DRUG, ingredient) not in found:
                    found[(DRUG, ingredient)] = dataclasses.replace(item, entity_id=ingredient)

    def resolve(self, found):
        """Give new institutions their entity ids (creating suggested ones); drop repeats."""
        resolved, seen = [], set()
        for item in found:
            if item.entity_id is None:  # a copy: the plan may be written again after a rollback
                institution = self._institution_for(normalize(item.matched_text), item)
                item = dataclasses.replace(
                    item,
                    entity_id=institution.pk,
                    kind=institution.kind,
                    new_institution=institution.origin == Origin.AUTO,
                )
            key = (item.entity_type, item.entity_id)
            if key not in seen:
                seen.add(key)
                resolved.append(item)
        return resolved

    def forget_created(self):
        """After a rollback: institutions created in it no longer exist."""
        self._new_institutions.clear()

    def _institution_for(self, normalized, item):
        institution = self._new_institutions.get(normalized)
        if institution is None:
            institution = Institution.objects.filter(aliases__normalized=normalized).order_by("pk").first()
        if institution is None:
            institution = Institution.objects.create(
                name=item.matched_text[:255],
                slug=services.unique_slug(Institution, item.matched_text),
                kind=item.kind,
                origin=Origin.AUTO,
                description="Suggested by the importer: a name shaped like an institution that the vocabulary lacks.",
            )
            # A one-word name ("Velbrook" of "Velbrook Inc.", the journal "Spine") may be an everyday
            # word, a place or a person: like a curated one-word variant it links again only where
            # the text shows the institution ("drugmaker Velbrook", "the journal Spine").
            InstitutionAlias.objects.create(
                institution=institution,
                text=item.matched_text[:300],
                kind="name",
                origin=Origin.AUTO,
                is_ambiguous=" " not in normalized,
            )
            self.report.new_institutions.append(institution.name)
        self._new_institutions[normalized] = institution
        return institution

    @staticmethod
    def link_values(item):
        return {
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

    def new_links(self, article, found):
        """Unsaved link rows for a new article, by entity type (its date copied if public)."""
        public_date = article.published if article.is_public else None
        rows = {entity_type: [] for entity_type in LINK_MODEL}
        for item in found:
            link_model = LINK_MODEL[item.entity_type]
            rows[item.entity_type].append(
                link_model(
                    article=article,
                    origin=LinkOrigin.AUTO,
                    status=LinkStatus.SUGGESTED,
                    published=public_date,
                    **{f"{link_model.entity_field}_id": item.entity_id},
                    **self.link_values(item),
                )
            )
        return rows

    def refresh_links(self, article, found):
        """Re-import: refresh the machine's own suggestions; editors' decisions stay. Returns the new count."""
        existing = {}
        for entity_type, link_model in LINK_MODEL.items():
            for link in link_model.objects.filter(article=article):
                existing[(entity_type, getattr(link, f"{link_model.entity_field}_id"))] = link
        keys = {(item.entity_type, item.entity_id) for item in found}
        to_create = self.new_links(article, [i for i in found if (i.entity_type, i.entity_id) not in existing])
        to_update = {entity_type: [] for entity_type in LINK_MODEL}
        for item in found:
            link = existing.get((item.entity_type, item.entity_id))
            values = self.link_values(item)
            if (
                link is not None
                and _is_machine_suggestion(link)
                and any(getattr(link, n) != v for n, v in values.items())
            ):
                for name, value in values.items():
                    setattr(link, name, value)
                to_update[item.entity_type].append(link)
        for entity_type, link_model in LINK_MODEL.items():
            if to_create[entity_type]:
                bulk_create_with_history(to_create[entity_type], link_model)
            if to_update[entity_type]:
                link_model.objects.bulk_update(to_update[entity_type], LINK_FIELDS)
            stale = [
                link.pk
                for (kind, _), link in existing.items()
                if kind == entity_type and (kind, _) not in keys and _is_machine_suggestion(link)
            ]
            if stale:
                link_model.objects.filter(pk__in=stale).delete()
        return sum(len(rows) for rows in to_create.values())


# --------------------------------------------------------------------------- the pipeline


@dataclass
class Plan:
    """A new article, prepared, linked and checked for duplicates, ready to be written."""

    where: str
    prepared: Prepared
    found: list
    facts: object
    bands: list
    original: Article | None = None
    score: float = 0.0


class Importer:
    """Imports records in batches: each record is read, cleaned, linked and checked on its
    own; the new articles of a batch are then written together in one transaction, all or
    none. When that transaction fails, each article of the batch is written again in a
    transaction of its own, so a bad record fails alone and leaves nothing behind."""

    def __init__(self, *, publish=False, source="", user=None, dry_run=False, matcher=None, update_published=None):
        self.publish = publish
        self.default_source = source or ""
        self.user = user
        # Who may not publish may not change a published story either (review can't be bypassed).
        self.update_published = services.may_publish(user) if update_published is None else update_published
        self.report = ImportReport(dry_run=dry_run)
        self.linker = Linker(matcher or get_matcher(), self.report)
        self._sources = {}
        self._journal_names = None

    def source_for(self, name):
        if not name:
            return None
        slug = source_slug(name)
        if slug not in self._sources:
            source = Source.objects.filter(slug=slug).first() or Source.objects.filter(name=name).first()
            if source is None:
                source = Source.objects.create(name=name, slug=slug)
            self._sources[slug] = source
        return self._sources[slug]

    # ----------------------------------------------------------------- one batch

    def run_batch(self, records, progress=None, start=0):
        """Import a batch of records; reports every one of them (in order) to `progress`."""
        results = [None] * len(records)
        plans = {}  # index -> Plan, in record order
        prepared = {}
        for i, record in enumerate(records):
            item = self._check_record(record)
            if item is not None:
                results[i] = item
                continue
            try:
                prepared[i] = prepare(record, default_source=self.default_source)
            except RecordError as exc:
                results[i] = ItemResult(FAILED, record.where, str(exc))
        by_url, by_hash = self._existing(prepared.values())
        signatures = {}
        for i, p in prepared.items():
            shingle_set = dedupe.shingles(p.body, normalized=p.normalized)
            signatures[i] = (shingle_set, dedupe.band_values(shingle_set))
        owners = dedupe.band_owners(bands for _, bands in signatures.values())
        planned_urls, planned_hashes = set(), set()
        planned_bands = set()  # of this batch's originals, written or not
        for i, p in prepared.items():
            if (p.url and p.url in planned_urls) or p.content_hash in planned_hashes:
                # The same story earlier in this batch: write the batch so far, then compare.
                self._flush(plans, results)
                planned_urls.clear(), planned_hashes.clear()
                more_urls, more_hashes = self._existing([p])
                by_url.update(more_urls)
                by_hash.update(more_hashes)
            if p.url and p.url in by_url:
                results[i] = self._atomic(p.where, self._update, by_url[p.url], p)
                continue
            same_text = by_hash.get(p.content_hash, [])
            same = next((a for a in same_text if _same_outlet(a, p)), None)
            if same is not None:
                # The same outlet with the same text: the story again under another address.
                message = f"same text as {same.slug} from the same outlet; not imported again"
                results[i] = ItemResult(DUPLICATE, p.where, message, same.slug, same.pk)
                continue
            # The same text from another outlet is a copy of the first-seen original.
            first = same_text[0] if same_text else None
            plan = self._plan(p, *signatures[i], owners, same_text=first)
            if first is None and planned_bands.intersection(plan.bands):
                # Perhaps a copy of an original of this batch (`owners` was read before it
                # was written): write what is planned, then look again in the database.
                self._flush(plans, results)
                planned_urls.clear(), planned_hashes.clear()
                plan = self._plan(p, *signatures[i], None)
            plans[i] = plan
            planned_urls.add(p.url)
            planned_hashes.add(p.content_hash)
            if plan.original is None:
                planned_bands.update(plan.bands)
        self._flush(plans, results)
        # Stories already here are indexed again if a crash once left them out of search.
        seen = [item.article_id for item in results if item.status in (UNCHANGED, DUPLICATE) and item.article_id]
        if seen:
            with transaction.atomic():
                indexing.repair(seen)
        for offset, item in enumerate(results):
            self.report.add(item)
            if progress:
                progress(start + offset + 1, item)

    @staticmethod
    def _check_record(record):
        if isinstance(record, ReadError):
            return ItemResult(FAILED, record.where, record.reason)
        if isinstance(record, Skipped):
            return ItemResult(SKIPPED, record.where, record.reason)
        if not isinstance(record, Record):
            return ItemResult(FAILED, "?", f"not a record: {type(record).__name__}")
        return None

    @staticmethod
    def _existing(prepared):
        """Articles already stored with the same URL, and the first with the same text."""
        prepared = list(prepared)
        urls = [p.url for p in prepared if p.url]
        hashes = [p.content_hash for p in prepared]
        by_url = {a.source_url: a for a in Article.objects.filter(source_url__in=urls)} if urls else {}
        by_hash = {}
        same_text = (
            Article.objects.filter(content_hash__in=hashes)
            .annotate(source_slug=Coalesce("source__slug", Value("")))
            .only("pk", "slug", "content_hash", "canonical_id", "source_url")
            .order_by("pk")
        )
        for article in same_text:
            by_hash.setdefault(article.content_hash, []).append(article)  # the first seen first
        return by_url, by_hash

    def _plan(self, p, shingle_set, bands, owners, *, same_text=None):
        """The plan for a new article; `same_text` is a stored article with the same text
        (from another outlet), else the bands find a near-identical original if any."""
        if same_text is not None:
            original, score = same_text, 1.0
            if same_text.canonical_id:  # itself a copy: point to its original
                original = Article.objects.only("pk", "slug").get(pk=same_text.canonical_id)
        else:
            original, score = dedupe.find_original(shingle_set, bands, owners=owners)
        found = self.linker.find(p.title, p.body)
        return Plan(
            where=p.where,
            prepared=p,
            found=found,
            facts=self._facts(p, found),
            bands=bands,
            original=original,
            score=score,
        )

    def _atomic(self, where, action, *args):
        try:
            with transaction.atomic():
                return action(*args)
        except RecordError as exc:
            self._after_rollback()
            return ItemResult(FAILED, where, str(exc))
        except (DatabaseError, ValidationError, ValueError) as exc:
            self._after_rollback()
            return ItemResult(FAILED, where, f"{NOT_SAVED}: {exc}")

    def _after_rollback(self):
        self._sources.clear()
        self.linker.forget_created()

    def _flush(self, plans, results):
        """Write the planned new articles: together, or one by one if that fails."""
        if not plans:
            return
        items = list(plans.items())
        plans.clear()
        try:
            with transaction.atomic():
                _commit_without_waiting_for_disk()
                written = self._create([plan for _, plan in items])
        except (DatabaseError, ValidationError, ValueError, RecordError):
            self._after_rollback()
            for i, plan in items:
                outcome = self._atomic(plan.where, self._create, [plan])
                results[i] = outcome if isinstance(outcome, ItemResult) else outcome[0]
            return
        for (i, _), item in zip(items, written, strict=True):
            results[i] = item

    # ----------------------------------------------------------------- writing

    def _create(self, plans):
        """Insert new articles with their links, trial ids and syndication bands. Returns items."""
        now = timezone.now()
        slugs = self._slugs([plan.prepared for plan in plans])
        articles = []
        for plan, slug in zip(plans, slugs, strict=True):
            p = plan.prepared
            article = Article(
                title=p.title,
                slug=slug,
                body=p.body,
                summary=p.summary,
                source=self.source_for(p.source_name),
                source_url=p.url,
                author=p.author,
                published=p.published,
                imported_at=now,
                content_hash=p.content_hash,
                canonical=plan.original,
                syndication_similarity=round(plan.score, 3) if plan.original else None,
            )
            for name, value in plan.facts.fields().items():
                setattr(article, name, value or (None if name in ("trial_phase", "participants") else ""))
            if self.publish and article.published is not None:
                # Published from the first write: the links are born with the copied date.
                services.mark_published(article, by=self.user, when=now)
            articles.append(article)
        bulk.insert(Article, articles)
        bulk.insert_history(articles, when=now, user=self.user)
        # In this transaction: a crash leaves the articles and their index rows, or neither.
        indexing.index_articles([article.pk for article in articles])

        rows = {entity_type: [] for entity_type in LINK_MODEL}
        trials, bands, items = [], [], []
        for plan, article in zip(plans, articles, strict=True):
            found = self.linker.resolve(plan.found)
            for entity_type, links in self.linker.new_links(article, found).items():
                rows[entity_type].extend(links)
            trials.extend(ArticleTrial(article=article, registry_id=r) for r in plan.facts.trial_ids)
            if plan.original is None:
                bands.extend(dedupe.band_rows(article, plan.bands))
            links = len(found)
            self.report.links += links
            if plan.original is not None:
                message = f"{article.slug}: a copy of {plan.original.slug} (similarity {plan.score:.2f}); {links} links"
                items.append(ItemResult(SYNDICATED, plan.where, message, article.slug, article.pk))
            else:
                message = f"{article.slug}: {links} links"
                if self.publish and article.published is None:
                    message += "; kept as a draft: date unknown, set it before publishing"
                items.append(ItemResult(CREATED, plan.where, message, article.slug, article.pk))
        for entity_type, link_model in LINK_MODEL.items():
            if rows[entity_type]:
                bulk.insert(link_model, rows[entity_type])
                bulk.insert_history(rows[entity_type], when=now, user=self.user)
        ArticleTrial.objects.bulk_create(trials)
        dedupe.store_bands(bands)
        reports.sync(article_ids=[article.pk for article in articles])
        if self.publish:
            stamp.bump()  # bulk writes send no signals: cached pages and search answers expire here
        return items

    @staticmethod
    def _slugs(prepared):
        """A free slug per new article: title, then title-source, title-date, then -2, -3…"""
        candidates = []
        for p in prepared:
            base = slugify(p.title)[:80].strip("-") or "article"
            options = [base]
            if p.source_name:
                options.append(f"{base}-{source_slug(p.source_name)[:40]}".strip("-"))
            if p.published:
                options.append(f"{options[-1]}-{p.published.date().isoformat()}")
            candidates.append(options)
        taken = set(
            Article.objects.filter(slug__in=[o for options in candidates for o in options]).values_list(
                "slug", flat=True
            )
        )
        slugs = []
        for options in candidates:
            slug = next((o for o in options if o not in taken), None)
            if slug is None:
                slug = services.unique_slug(Article, options[-1], max_length=100)
                while slug in taken:
                    slug = services.unique_slug(Article, f"{slug}-x", max_length=100)
            taken.add(slug)
            slugs.append(slug)
        return slugs

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
        undated = article.published is None and p.published is None
        wants_publish = self.publish and article.status != ArticleStatus.PUBLISHED and not undated
        if not changed and not wants_publish:
            return ItemResult(
                UNCHANGED, p.where, f"already imported as {article.slug}; unchanged", article.slug, article.pk
            )
        if article.status == ArticleStatus.PUBLISHED and not self.update_published:
            raise RecordError(
                f"same URL as the published article {article.slug}, which was not changed: "
                f"{services.published_needs_reviewer(article)}"
            )
        if changed:
            for name in changed:
                setattr(article, name, values[name])
            found = self.linker.resolve(self.linker.find(p.title, p.body))
            facts = self._facts(p, found)
            for name, value in facts.fields().items():
                if value and not getattr(article, name):
                    setattr(article, name, value)
            article.save()
            ArticleTrial.objects.bulk_create(
                [ArticleTrial(article=article, registry_id=r) for r in facts.trial_ids], ignore_conflicts=True
            )
            if "body" in changed and article.canonical_id is None:
                dedupe.index_original(article, dedupe.band_values(dedupe.shingles(article.body)), replace=True)
            self.report.links += self.linker.refresh_links(article, found)
            reports.sync(article_ids=[article.pk])
            if article.published and article.status == ArticleStatus.PUBLISHED:
                services.sync_link_dates(article_ids=[article.pk])
        if wants_publish:
            services.publish(article=article, by=self.user)
        what = ", ".join(changed) if changed else "status"
        return ItemResult(UPDATED, p.where, f"{article.slug}: updated {what}", article.slug, article.pk)

    def _facts(self, p, found):
        """Evidence facts; the journal is the first journal institution the body names."""
        if self._journal_names is None:
            self._journal_names = dict(
                Institution.objects.filter(kind=InstitutionKind.JOURNAL).values_list("pk", "name")
            )
        journals = sorted(
            (item for item in found if item.entity_type == INSTITUTION and item.kind == InstitutionKind.JOURNAL),
            key=lambda item: (item.first_offset is None, item.first_offset or 0),
        )
        names = [self._journal_names[j.entity_id] for j in journals if j.entity_id in self._journal_names]
        return evidence.extract(f"{p.title}\n\n{p.body}", journals_found=names)


def _same_outlet(article, p):
    """Whether a stored article (annotated with its source_slug) and a prepared record come
    from the same outlet: the same Source, or addresses on the same site."""
    if article.source_slug == source_slug(p.source_name):
        return True
    site = outlet_name("", p.url) if p.url else ""
    return bool(site) and bool(article.source_url) and outlet_name("", article.source_url) == site


BATCH_SIZE = 100  # records read and linked, then written together


def _commit_without_waiting_for_disk():
    """On PostgreSQL, let this transaction's commit return before its WAL reaches the disk
    (``synchronous_commit = off``, for this transaction only): a crash can lose the last
    moments of an import, which re-running it restores, but never leaves a half-written
    article. It is the trade SQLite makes here with ``synchronous=NORMAL`` in WAL mode."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def import_records(
    records,
    *,
    publish=False,
    source="",
    dry_run=False,
    user=None,
    progress=None,
    matcher=None,
    report_holder=None,
    update_published=None,
):
    """Import every record; returns an ImportReport. See the module docstring.
    (`report_holder`, a dict, gets the report under "report" while the import runs.)

    A record with the URL of a published article changes it only when `update_published`
    (by default: when `user` may publish); otherwise that record fails, saying so, and the
    others are imported."""
    importer = Importer(
        publish=publish, source=source, user=user, dry_run=dry_run, matcher=matcher, update_published=update_published
    )
    if report_holder is not None:
        report_holder["report"] = importer.report
    if dry_run:
        with transaction.atomic():
            _run(importer, records, progress)
            transaction.set_rollback(True)
    else:
        _run(importer, records, progress)
        if importer.report.counts.get("imported", 0) >= ANALYZE_AFTER:
            refresh_planner_statistics()
    return importer.report


# An import this large changes the tables' shape: the database's planner statistics are
# refreshed at once rather than when autovacuum gets to them. A search on tables it believes
# empty (say, just after the first import) is planned as a loop over every article (seconds
# instead of milliseconds on PostgreSQL).
ANALYZE_AFTER = 500
SQLITE_ANALYSIS_LIMIT = 2000  # rows read per index (PRAGMA analysis_limit)


def refresh_planner_statistics():
    """ANALYZE the tables search reads: the articles, the full-text index and the links."""
    from ..search.fulltext import INDEX

    tables = [Article._meta.db_table, INDEX, *(model._meta.db_table for model in LINK_MODEL.values())]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # SQLite reads every row of a table and its indexes unless told to sample, as
            # PostgreSQL does: a bounded cost however large the database.
            cursor.execute(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}")
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def _run(importer, records, progress):
    records = iter(records)
    done = 0
    with title_norms_deferred():
        while batch := list(itertools.islice(records, BATCH_SIZE)):
            importer.run_batch(batch, progress, start=done)
            done += len(batch)
