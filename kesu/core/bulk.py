"""Multi-row INSERTs of new model instances, without the ORM's per-value compiler.

`QuerySet.bulk_create` was most of an import batch's write time: for every value of
every row its SQL compiler resolves expressions, pre-saves and prepares (~15 calls a
value). `instances_insert` writes the same rows with the same values — each one still
goes through its field's own `get_db_prep_save`, so encrypted fields encrypt with the
project's code and datetimes are adapted by the backend — but plain values that the
field would pass through unchanged (a `str` in a text column, an `int` key) skip the
call, and a batch is one statement per table (as many rows as the driver takes
parameters), not one per 999 parameters.
"""

from __future__ import annotations

import datetime as dt
import operator
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models.fields import NOT_PROVIDED, AutoFieldMixin

# Field classes whose get_db_prep_save returns a value of exactly these types as it
# is (to_python/get_prep_value are identities for them, no backend adaptation).
_PASS_THROUGH: dict[type[models.Field[Any, Any]], tuple[type, ...]] = {
    models.CharField: (str,),
    models.TextField: (str,),
    models.SlugField: (str,),
    models.IntegerField: (int,),
    models.BigIntegerField: (int,),
    models.PositiveIntegerField: (int,),
    models.PositiveSmallIntegerField: (int,),
    models.SmallIntegerField: (int,),
    models.BooleanField: (bool,),
}

Converter = Callable[[Any], Any]


def instances_insert(objs: Sequence[models.Model]) -> None:
    """Insert unsaved instances of one model as `bulk_create` would, setting their pks.

    For models with an auto-incremented key, fields without a custom placeholder or
    database default and a backend that returns inserted keys (SQLite ≥ 3.35,
    PostgreSQL); anything else is handed to `bulk_create`. Call inside the writing
    transaction: a run of more rows than one statement takes is several.
    """
    if not objs:
        return
    db = connections[DEFAULT_DB_ALIAS]  # not the proxy: ~1 µs per attribute read
    model = type(objs[0])
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.generated and f is not meta.pk]
    if (
        not meta.pk.db_returning
        or not db.features.can_return_rows_from_bulk_insert
        or any(hasattr(f, "get_placeholder") for f in fields)
        or any(f.db_default is not NOT_PROVIDED for f in fields)
        or any(obj.pk is not None for obj in objs)
    ):
        model._default_manager.bulk_create(objs)
        return
    columns = [(_pre_save(f), _converter(f, db)) for f in fields]
    relations = [f for f in fields if f.is_relation]
    rows: list[list[Any]] = []
    for obj in objs:
        _relations_resolve(obj, relations)
        rows.append([convert(read(obj)) for read, convert in columns])
    size = _rows_per_statement(db, len(fields))
    keys: list[Any] = []
    with db.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            cursor.execute(
                _statement(db, meta, fields, len(chunk)),
                [value for row in chunk for value in row],
            )
            keys += [row[0] for row in cursor.fetchall()]
    for obj, key in zip(objs, keys, strict=True):
        obj.pk = key
        obj._state.adding = False
        obj._state.db = db.alias


def _rows_per_statement(db: Any, columns: int) -> int:
    """As many rows as the driver takes parameters in one statement: a batch is a
    few statements whatever its size."""
    if db.vendor == "sqlite":
        db.ensure_connection()
        # Django assumes SQLite's pre-3.32 limit of 999; ask the library.
        limit: int = db.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    else:
        limit = 65_535  # the PostgreSQL protocol's count of bind parameters
    return max(1, limit // columns)


def _statement(db: Any, meta: Any, fields: list[Any], rows: int) -> str:
    quote = db.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    return (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608 - names from the model
        f"VALUES {', '.join([row] * rows)} RETURNING {quote(meta.pk.column)}"
    )


def _converter(field: Any, db: Any) -> Converter:
    if type(field) is models.DateTimeField:
        return _datetime_converter(field, db)
    if type(field) is models.JSONField:
        return _json_converter(field, db)
    plain = _PASS_THROUGH.get(type(field))
    if plain is None and isinstance(field, models.ForeignKey):
        plain = _PASS_THROUGH.get(type(field.target_field))
        if plain is None and isinstance(field.target_field, AutoFieldMixin):
            plain = (int,)

    def convert(value: Any) -> Any:
        if plain is not None and (value is None or type(value) in plain):
            return value
        return field.get_db_prep_save(value, db)

    return convert


def _datetime_converter(field: Any, db: Any) -> Converter:
    # For an aware datetime get_prep_value is the identity: what is left is the
    # backend's adaptation, the same for equal instants (a batch's "now").
    adapted: dict[dt.datetime, Any] = {}

    def convert(value: Any) -> Any:
        if value is None:
            return None
        if type(value) is not dt.datetime or value.utcoffset() is None:
            return field.get_db_prep_save(value, db)
        if value not in adapted:
            adapted[value] = db.ops.adapt_datetimefield_value(value)
        return adapted[value]

    return convert


def _json_converter(field: Any, db: Any) -> Converter:
    # Rows often share one object (a policy's warning percents, copied to each of
    # its clocks): it is serialised once. Keyed by identity, and the object kept
    # with its result, so a key is never reused within the call.
    adapted: dict[int, tuple[Any, Any]] = {}

    def convert(value: Any) -> Any:
        if id(value) not in adapted:
            adapted[id(value)] = (value, field.get_db_prep_save(value, db))
        return adapted[id(value)][1]

    return convert


def _pre_save(field: Any) -> Callable[[models.Model], Any]:
    # Fields that fill themselves in on save (auto_now, files) keep doing so.
    fills = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    if fills or (
        type(field).pre_save is not models.Field.pre_save
        and not isinstance(field, models.DateField)  # pre_save only for auto_now*
    ):
        return lambda obj: field.pre_save(obj, True)
    return operator.attrgetter(field.attname)


def _relations_resolve(obj: models.Model, relations: list[Any]) -> None:
    """A related object saved after it was assigned lends its key now (as
    `bulk_create` does): a clock made before its case was written."""
    for field in relations:
        if getattr(obj, field.attname) is None and field.is_cached(obj):
            related = field.get_cached_value(obj)
            if related is not None:
                if related.pk is None:
                    raise ValueError(
                        f"{type(obj).__name__}.{field.name}: related object unsaved"
                    )
                setattr(obj, field.attname, related.pk)
