"""Multi-row INSERT statements for the import's hot path.

An import writes a few thousand rows per hundred articles: links and the history
rows of articles and links. Django's ``bulk_create`` compiles every value of every
row through the SQL compiler, which cost more than the database's own work; these
helpers prepare each value with its field's ``get_db_prep_save`` (the same
conversion Django applies) and send plain parameterised INSERTs. No signals are
sent, as with ``bulk_create``. Used only where the rows are new and fully built.
"""

# Table and column names come from the models; values are always parameters.
# ruff: noqa: S608

import datetime
import decimal
import io
import json
import uuid

from django.db import connection, models


def max_params():
    """How many parameters one statement may carry (PostgreSQL sets none: its protocol's limit)."""
    return connection.features.max_query_params or 65535


def insert_values(table, columns, rows, *, returning=None):
    """INSERT `rows` (sequences of database values) into `table`.

    With `returning` (the auto primary key column), returns each row's new key in
    order. PostgreSQL loads the rows with COPY, about three times faster than a
    multi-row INSERT (keys drawn from the column's sequence first); SQLite takes
    multi-row INSERTs (RETURNING needs SQLite 3.35).
    """
    if not rows:
        return []
    if connection.vendor == "postgresql":
        return _copy(table, columns, rows, returning)
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) VALUES "
    tail = f" RETURNING {quote(returning)}" if returning else ""
    placeholder = f"({', '.join(['%s'] * len(columns))})"
    size = max(1, min(500, max_params() // max(len(columns), 1)))
    out = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            part = rows[start : start + size]
            cursor.execute(head + ", ".join([placeholder] * len(part)) + tail, [v for row in part for v in row])
            if returning:
                out.extend(value for (value,) in cursor.fetchall())
    return out


# COPY's text format: backslash escapes for the characters that end a value, a row or an escape.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value):
    convert = _COPY_TEXT.get(type(value))
    if convert is not None:
        return convert(value)
    if isinstance(value, str):  # a subclass: TextChoices members
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, int | float | decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime.date | datetime.time):  # datetimes too
        return value.isoformat()
    raise TypeError(f"no COPY text form for {type(value).__name__}")


# Exact types first (one dictionary lookup), the isinstance checks above for the rest.
_COPY_TEXT = {
    str: lambda value: value.translate(_COPY_ESCAPES),
    int: str,
    float: repr,
    bool: lambda value: "t" if value else "f",
    type(None): lambda value: "\\N",
    datetime.datetime: datetime.datetime.isoformat,
    datetime.date: datetime.date.isoformat,
}


def _copy(table, columns, rows, returning):
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        keys = []
        if returning:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [quote(table), returning, len(rows)],
            )
            keys = [key for (key,) in cursor.fetchall()]
            columns = [returning, *columns]
            rows = [[key, *row] for key, row in zip(keys, rows, strict=True)]
        text = "".join("\t".join(map(_copy_value, row)) + "\n" for row in rows)
        sql = f"COPY {quote(table)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
        with connection.wrap_database_errors:  # Django's errors, as for every other statement
            cursor.copy_expert(sql, io.StringIO(text))
    return keys


# Fields whose Python values (as the models hold them) are already what the database
# drivers take: their conversion is skipped, the hot part of preparing thousands of rows.
_PLAIN = (models.CharField, models.TextField, models.IntegerField, models.FloatField, models.BooleanField)


def _converter(field):
    target = field.target_field if field.is_relation else field
    if isinstance(target, _PLAIN) and type(target).get_db_prep_save is models.Field.get_db_prep_save:
        return None
    return field.get_db_prep_save


def _prepared(fields, objs):
    """Rows of database values of `fields` (pairs of (attribute, field)) of `objs`."""
    plan = [(attname, _converter(field)) for attname, field in fields]
    if all(convert is None for _, convert in plan):
        return [[getattr(obj, attname) for attname, _ in plan] for obj in objs]
    return [
        [
            getattr(obj, attname) if convert is None else convert(getattr(obj, attname), connection)
            for attname, convert in plan
        ]
        for obj in objs
    ]


def insert(model, objs):
    """Insert new instances of `model` (with an auto primary key); sets their pk."""
    if not objs:
        return objs
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objs:
                field.pre_save(obj, add=True)
    pks = insert_values(
        meta.db_table,
        [f.column for f in fields],
        _prepared([(f.attname, f) for f in fields], objs),
        returning=meta.pk.column,
    )
    for obj, pk in zip(objs, pks, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def insert_history(objs, *, when, user=None, history_type="+"):
    """The django-simple-history rows for `objs` (saved instances of one model), as
    ``bulk_history_create`` writes them: a snapshot of every tracked field."""
    if not objs:
        return
    history = type(objs[0]).history.model
    meta = history._meta
    tracked = [meta.get_field(f.name) for f in history.tracked_fields]
    columns = [f.column for f in tracked]
    extra = [
        (meta.get_field("history_date"), when),
        (meta.get_field("history_change_reason"), None),
        (meta.get_field("history_type"), history_type),
        (meta.get_field("history_user"), user.pk if user is not None else None),
    ]
    columns += [field.column for field, _ in extra]
    tail = [field.get_db_prep_save(value, connection) for field, value in extra]
    rows = [row + tail for row in _prepared([(f.attname, f) for f in tracked], objs)]
    insert_values(meta.db_table, columns, rows)


def insert_as_is(model, objs):
    """Insert instances of `model` exactly as they are: their primary keys and every value,
    timestamps included (no ``auto_now``), no signals. For restoring a backup."""
    if not objs:
        return
    fields = model._meta.concrete_fields
    plan = [(field.attname, _as_is_converter(field)) for field in fields]
    rows = [[convert(getattr(obj, attname)) for attname, convert in plan] for obj in objs]
    insert_values(model._meta.db_table, [field.column for field in fields], rows)


def _as_is_converter(field):
    if isinstance(field, models.JSONField):  # the JSON text (a driver's adapter does not COPY)
        return lambda value: None if value is None else json.dumps(value, cls=field.encoder)
    if isinstance(field, models.BinaryField) and connection.vendor == "postgresql":  # COPY's bytea text
        return lambda value: None if value is None else "\\x" + bytes(value).hex()
    convert = _converter(field)
    return (lambda value: value) if convert is None else (lambda value: convert(value, connection))
