from django.db import migrations

from kesu.core.models import pg_append_only_trigger_sql

FTS_CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS cases_case_fts "
    "USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')"
)
PG_SEARCH_INDEX = (
    "CREATE INDEX IF NOT EXISTS case_search_gin ON cases_case "
    "USING gin (to_tsvector('simple', search_text))"
)


def create_search_structures(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        schema_editor.execute(FTS_CREATE)
    elif connection.vendor == "postgresql":
        schema_editor.execute(PG_SEARCH_INDEX)
        forward, _reverse = pg_append_only_trigger_sql("cases_caseevent")
        schema_editor.execute(forward)


def drop_search_structures(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS cases_case_fts")
    elif connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS case_search_gin")
        _forward, reverse = pg_append_only_trigger_sql("cases_caseevent")
        schema_editor.execute(reverse)


def load_defaults(apps, schema_editor):
    from kesu.cases.defaults import REPLY_TEMPLATES, TAXONOMY

    Category = apps.get_model("cases", "Category")
    ReplyTemplate = apps.get_model("cases", "ReplyTemplate")
    for order, (code, name, name_en, children) in enumerate(TAXONOMY):
        parent, _ = Category.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "sort_order": order}
        )
        for child_order, (child_code, child_name, child_en) in enumerate(children):
            Category.objects.get_or_create(
                code=child_code,
                defaults={
                    "name": child_name,
                    "name_en": child_en,
                    "parent": parent,
                    "sort_order": child_order,
                },
            )
    for title, stage, language, body in REPLY_TEMPLATES:
        ReplyTemplate.objects.get_or_create(
            title=title, defaults={"stage": stage, "language": language, "body": body}
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [
        migrations.RunPython(create_search_structures, drop_search_structures),
        migrations.RunPython(load_defaults, migrations.RunPython.noop),
    ]
