"""Backups as JSON Lines: ``manage.py export`` writes what editors made, ``manage.py
import_export`` restores it into an empty database, exactly (issue 13, item 12).

The file is one JSON object a line, each with a ``type``: a header (``newsbase.export``, the
format and the schema's last migration), then every row of the exported models in a fixed
order, each ``{"type": "articles.article", "pk": 12, "fields": {...}}`` (Django's serializer
field values; datetimes with their microseconds), then a trailer (``newsbase.export.end``)
counting them, so that a cut-off file is refused rather than restored in part.

Exported: users (with their groups and permissions by name, password hashes included) and
the groups' permissions, and every model of the ``articles`` app — sources, conditions,
drugs, institutions, drug classes and their members, aliases, MeSH tree numbers, merge
redirects, articles (syndication copies by their ``canonical``, evidence facts), trial ids,
links with their status, origin and review, syndication bands, and the history of every
curated model — except what is rebuilt or operational (``NOT_EXPORTED``). A model added
later is exported unless it is listed there.

Export reads one snapshot (a repeatable-read transaction on PostgreSQL) a chunk of rows at
a time, so memory stays bounded whatever the size. Restore reads a line at a time and
writes chunks of rows as they are (primary keys and timestamps kept, no signals, so no new
history), in one transaction: a bad line (not JSON, unknown type, a value its field refuses,
a duplicate key, a reference to a row that is not there) stops it with the line and reason,
and nothing is written. Then the sequences are moved past the restored keys and the search
index is rebuilt.
"""

import datetime
import decimal
import itertools
import json
import uuid

from django.apps import apps
from django.core import serializers
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils.duration import duration_iso_string

from . import bulk, indexing, stamp

FORMAT = 1
HEADER, TRAILER = "newsbase.export", "newsbase.export.end"
CHUNK = 1000
MAX_LINE_BYTES = 256 * 1024 * 1024  # a line is one row: far more than any row holds
# Rebuilt from the rest (facet counts: refresh_search_facets) or the machinery's own
# (import jobs hold uploaded files and progress, not editors' work; host slots are the feed
# workers' politeness clock and robots.txt cache, fetched again as needed).
NOT_EXPORTED = {
    "articles.facetsnapshot",
    "articles.importjob",
    "articles.importjobfile",
    "articles.hostslot",
    "articles.storyword",  # the typo lexicon: refresh_story_words
    "articles.contentstamp",  # the caches' clock: a restore sets a new one
}
# Rows that are restored by name into the groups a fresh database's migrations made.
BY_NATURAL_KEY = {"auth.group"}


class RestoreError(ValueError):
    """A backup that cannot be restored; the message names the line and the reason."""


def exported_models():
    """The models a backup holds, in the order it holds them."""
    auth = [apps.get_model("auth", "Group"), apps.get_model("auth", "User")]
    own = [m for m in apps.get_app_config("articles").get_models() if m._meta.label_lower not in NOT_EXPORTED]
    return auth + own


def _m2m_fields(model):
    return [f for f in model._meta.many_to_many if f.remote_field.through._meta.auto_created]


def schema_version():
    """The last migration of the articles app applied here (the header records it)."""
    applied = MigrationRecorder(connection).applied_migrations()
    names = sorted(name for app, name in applied if app == "articles")
    return names[-1] if names else ""


class _Encoder(json.JSONEncoder):
    """JSON for the serializer's values; datetimes keep their microseconds (Django's
    encoder cuts them to milliseconds, which would not restore exactly)."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.date | datetime.time):
            return o.isoformat()
        if isinstance(o, datetime.timedelta):
            return duration_iso_string(o)
        if isinstance(o, decimal.Decimal | uuid.UUID):
            return str(o)
        return super().default(o)


def _line(obj):
    return json.dumps(obj, cls=_Encoder, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# --------------------------------------------------------------------------- export


def export_lines():
    """Every line of a backup (without line ends), read from one snapshot of the database."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:  # a transaction of its own: one snapshot
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield _line({"type": HEADER, "format": FORMAT, "schema": schema_version()})
        count = 0
        for model in exported_models():
            for line in _model_lines(model):
                count += 1
                yield line
        yield _line({"type": TRAILER, "objects": count})


def _model_lines(model):
    label = model._meta.label_lower
    natural = label.startswith("auth.")
    m2m = [f.name for f in _m2m_fields(model)]
    rows = model._base_manager.order_by("pk")
    if m2m:
        rows = rows.prefetch_related(*m2m)
    serializer = serializers.get_serializer("python")()
    rows = rows.iterator(chunk_size=CHUNK)
    while chunk := list(itertools.islice(rows, CHUNK)):
        dumped = serializer.serialize(
            chunk, use_natural_foreign_keys=natural, use_natural_primary_keys=label in BY_NATURAL_KEY
        )
        for obj in dumped:
            fields = obj["fields"]
            for name in m2m:  # in a fixed order, whatever the related model's ordering
                fields[name] = sorted(fields[name])
            line = {"type": obj["model"], "fields": fields}
            if "pk" in obj:
                line["pk"] = obj["pk"]
            yield _line(line)


# --------------------------------------------------------------------------- restore


def database_contents():
    """What the database already holds of what a backup restores: {label: rows}, non-zero only."""
    found = {}
    for model in exported_models():
        if model._meta.label_lower in BY_NATURAL_KEY:
            continue  # made by the migrations; restored by name
        if model._base_manager.exists():
            found[model._meta.label_lower] = model._base_manager.count()
    return found


class Restorer:
    """Restores a backup read as (line number, bytes) pairs; see the module docstring."""

    def __init__(self):
        self.models = {m._meta.label_lower: m for m in exported_models()}
        self.order = list(self.models)
        self.count = 0
        self.header = None
        self.trailer = None
        self.pending = []  # (line number, deserialized object) of one model
        self.restored = {}

    def run(self, numbered_lines):
        contents = database_contents()
        if contents:
            live = [(label, n) for label, n in contents.items() if ".historical" not in label] or list(contents.items())
            shown = ", ".join(f"{n:,} {label}" for label, n in live[:5])
            raise RestoreError(
                f"The database is not empty ({shown}…): import_export restores into an empty database only. "
                "Create a new database, run `manage.py migrate`, and restore into it (before creating any user)."
            )
        with transaction.atomic():
            for number, raw in numbered_lines:
                self._line(number, raw)
            self._flush()
            if self.header is None:
                raise RestoreError("The file is empty: not a NewsBase export.")
            if self.trailer is None:
                raise RestoreError(
                    f"The file ends at line {number} without its last line ({TRAILER}): "
                    "the export was cut off; nothing was restored."
                )
            self._finish()
        return self.restored

    def _line(self, number, raw):
        def fail(reason):
            schema = (self.header or {}).get("schema")
            if schema and schema != schema_version():
                reason += f" (The file was exported at migration {schema}; this database is at {schema_version()}.)"
            raise RestoreError(f"line {number}: {reason}")

        if self.trailer is not None:
            fail(f"a line after the export's last line ({TRAILER}).")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            fail(f"not UTF-8 ({exc.reason} at byte {exc.start}).")
        if not text.strip():
            fail("an empty line.")
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError) as exc:
            fail(f"not a JSON object ({exc}).")
        if not isinstance(obj, dict) or not isinstance(obj.get("type"), str):
            fail('not an object with a "type".')
        kind = obj["type"]
        if self.header is None:
            if kind != HEADER or obj.get("format") != FORMAT:
                fail(f"not a NewsBase export (the first line must be a {HEADER} header of format {FORMAT}).")
            self.header = obj
            return
        if kind == TRAILER:
            self._flush()
            if obj.get("objects") != self.count:
                fail(f"the export says it holds {obj.get('objects')} objects, but {self.count} were read.")
            self.trailer = obj
            return
        model = self.models.get(kind)
        if model is None:
            fail(f"unknown type {kind!r} (a backup holds {', '.join(self.order)}).")
        if not isinstance(obj.get("fields"), dict):
            fail(f'{kind}: no "fields" object.')
        if self.pending and type(self.pending[0][1].object) is not model:
            self._flush()
        node = {"model": kind, "fields": obj["fields"]}
        if "pk" in obj:
            node["pk"] = obj["pk"]
        where = f"{kind} {obj.get('pk', '')}".strip()
        try:
            [deserialized] = serializers.deserialize("python", [node], handle_forward_references=False)
        except (DeserializationError, ValidationError, FieldDoesNotExist, ValueError, TypeError, LookupError) as exc:
            fail(f"{where}: {'; '.join(exc.messages) if isinstance(exc, ValidationError) else exc}")
        self.pending.append((number, deserialized))
        self.count += 1
        if len(self.pending) >= CHUNK:
            self._flush()

    def _flush(self):
        if not self.pending:
            return
        pending, self.pending = self.pending, []
        model = type(pending[0][1].object)
        label = model._meta.label_lower
        try:
            with transaction.atomic():
                self._write(model, [d for _, d in pending])
        except DatabaseError:
            # Find the line: write them one by one (each in a savepoint) until one fails.
            for number, deserialized in pending:
                try:
                    with transaction.atomic():
                        self._write(model, [deserialized])
                except DatabaseError as exc:
                    raise RestoreError(f"line {number}: {label} {deserialized.object.pk}: {exc}") from exc
        self.restored[label] = self.restored.get(label, 0) + len(pending)

    @staticmethod
    def _write(model, deserialized):
        if model._meta.label_lower in BY_NATURAL_KEY:
            for item in deserialized:
                item.save()  # updates the group of that name (made by the migrations) or adds it
            return
        bulk.insert_as_is(model, [item.object for item in deserialized])
        for field in _m2m_fields(model):
            through = field.remote_field.through
            rows = [
                [item.object.pk, target]
                for item in deserialized
                for target in (item.m2m_data or {}).get(field.name, [])
            ]
            bulk.insert_values(through._meta.db_table, [field.m2m_column_name(), field.m2m_reverse_name()], rows)

    def _finish(self):
        restored = [self.models[label] for label in self.restored]
        tables = [*restored, *(f.remote_field.through for m in restored for f in _m2m_fields(m))]
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), tables):
                cursor.execute(sql)
        try:
            connection.check_constraints(table_names=[m._meta.db_table for m in tables])
        except IntegrityError as exc:
            raise RestoreError(f"a row refers to one the file does not hold: {exc}") from exc
        reindex_all()
        stamp.bump()  # rows restored without signals: nothing cached before may be served


def reindex_all():
    """Index every article again (after a restore), a batch at a time."""
    Article = apps.get_model("articles", "Article")
    last = 0
    with indexing.title_norms_deferred():
        while ids := list(Article.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:500]):
            indexing.index_articles(ids)
            last = ids[-1]


def restore_file(path):
    """Restore the backup at `path` (see Restorer); returns {label: rows restored}."""
    with open(path, "rb") as stream:
        return Restorer().run(enumerate(_bounded_lines(stream), start=1))


def _bounded_lines(stream):
    """The stream's lines, none held whole beyond MAX_LINE_BYTES."""
    limit = MAX_LINE_BYTES
    for number, line in enumerate(iter(lambda: stream.readline(limit + 1), b""), start=1):
        if len(line) > limit:
            raise RestoreError(f"line {number}: longer than {limit:,} bytes; not a line this export writes.")
        yield line
