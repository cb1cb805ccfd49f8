"""Two of the timeline's indexes did no work: drop them.

- `case_id` alone: `event_case_created` (case, created_at) answers every lookup by
  case, in timeline order too.
- On PostgreSQL, `type` had a `varchar_pattern_ops` twin (Django adds one for
  `LIKE` on an indexed CharField); event types are only compared whole.

Each event insert maintained both, and at 1M cases (12M events) they were a third of
the bench generator's index build time (~94 s of ~290 s). The plain `type` index stays,
named `event_type`. Only the database's indexes change (no table rewrite: a SQLite
AlterField would copy the append-only table), so the ORM state moves separately.
"""

import copy

import django.db.models.deletion
from django.db import migrations, models

TABLE = "cases_caseevent"
NEW_INDEX = "event_type"


def _single_column_indexes(schema_editor, column):
    with schema_editor.connection.cursor() as cursor:
        constraints = schema_editor.connection.introspection.get_constraints(
            cursor, TABLE
        )
    return [
        name
        for name, info in constraints.items()
        if info["index"]
        and not info["primary_key"]
        and not info["unique"]
        and info["columns"] == [column]
    ]


def _fields(apps):
    model = apps.get_model("cases", "CaseEvent")
    return model, [model._meta.get_field("type"), model._meta.get_field("case")]


def forward(apps, schema_editor):
    model = apps.get_model("cases", "CaseEvent")
    for column in ("type", "case_id"):
        for name in _single_column_indexes(schema_editor, column):
            schema_editor.execute(
                schema_editor.sql_delete_index
                % {
                    "table": schema_editor.quote_name(TABLE),
                    "name": schema_editor.quote_name(name),
                }
            )
    schema_editor.add_index(model, models.Index(fields=["type"], name=NEW_INDEX))


def backward(apps, schema_editor):
    # Runs against the state before this migration (db_index=True on both fields).
    model, fields = _fields(apps)
    schema_editor.remove_index(model, models.Index(fields=["type"], name=NEW_INDEX))
    for field in fields:
        unindexed = copy.copy(field)
        unindexed.db_index = False
        # PostgreSQL adds the indexes; SQLite copies the table (a rollback only).
        schema_editor.alter_field(model, unindexed, field)


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_search_vector")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forward, backward)],
            state_operations=[
                migrations.AlterField(
                    model_name="caseevent",
                    name="type",
                    field=models.CharField(max_length=40),
                ),
                migrations.AlterField(
                    model_name="caseevent",
                    name="case",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="events",
                        to="cases.case",
                    ),
                ),
                migrations.AddIndex(
                    model_name="caseevent",
                    index=models.Index(fields=["type"], name=NEW_INDEX),
                ),
            ],
        )
    ]
