"""Shared model bases."""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an append-only record (R-SEC-4)."""


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only")

    def delete(self) -> NoReturn:
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only")


class AppendOnlyModel(models.Model):
    """A record that can be inserted once and never updated or deleted through the ORM.

    PostgreSQL also refuses UPDATE/DELETE with a trigger (see the app migrations), so
    raw SQL cannot rewrite history either.
    """

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows are append-only")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only")


def pg_append_only_trigger_sql(table: str) -> tuple[str, str]:
    """Forward and reverse SQL installing a trigger that refuses UPDATE and DELETE.

    The SQL holds no `%`: schema_editor.execute() passes it through the driver's
    parameter formatting, where a bare `%` is an error.
    """
    forward = f"""
        CREATE OR REPLACE FUNCTION kesu_refuse_change() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION USING
                MESSAGE = 'rows of ' || TG_TABLE_NAME || ' are append-only',
                ERRCODE = 'integrity_constraint_violation';
        END;
        $$ LANGUAGE plpgsql;
        CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION kesu_refuse_change();
    """
    reverse = f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};"
    return forward, reverse
