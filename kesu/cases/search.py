"""Full-text search that works for Chinese (staff case list, API).

Texts are segmented with jieba (search mode, so 电池鼓包 also yields 电池 and 鼓包) into
space-separated tokens stored in `Case.search_text`. SQLite indexes that column with an
FTS5 table (`cases_case_fts`, rowid = case id); PostgreSQL with a GIN index on
`to_tsvector('simple', search_text)`. Queries are segmented the same way and every token
must match.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import jieba
from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

if TYPE_CHECKING:
    from kesu.cases.models import Case, CaseQuerySet

jieba.setLogLevel(60)  # jieba prints its dictionary loading at INFO otherwise

FTS_TABLE = "cases_case_fts"
_WORD = re.compile(r"\w", re.UNICODE)


def tokens(text: str) -> list[str]:
    """Lower-cased search tokens of a text (jieba search-mode segmentation)."""
    seen: dict[str, None] = {}
    for token in jieba.cut_for_search(text.lower()):
        token = token.strip()
        if token and _WORD.search(token):
            seen.setdefault(token, None)
    return list(seen)


def search_text_for(case: Case) -> str:
    """Segmented text indexed for a case: number, product, order, description…"""
    parts = [
        case.number,
        case.product_model,
        case.serial_number,
        case.order_number,
        case.description,
        case.demand,
    ]
    return " ".join(tokens(" ".join(p for p in parts if p)))


def index_case(case: Case) -> None:
    """Write the search text into the SQLite FTS table (PostgreSQL needs nothing)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [case.pk])  # noqa: S608
        cursor.execute(
            f"INSERT INTO {FTS_TABLE} (rowid, body) VALUES (%s, %s)",  # noqa: S608
            [case.pk, case.search_text],
        )


def _quoted(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def filter_by_text(queryset: CaseQuerySet, query: str) -> CaseQuerySet:
    """Cases whose text contains every token of the query."""
    words = tokens(query)
    if not words:
        return queryset
    if connection.vendor == "postgresql":
        tsquery = " & ".join("'" + w.replace("'", "''") + "'" for w in words)
        matches = RawSQL(  # noqa: S611 - constant SQL, the query is a parameter
            "to_tsvector('simple', cases_case.search_text) @@ to_tsquery('simple', %s)",
            [tsquery],
            output_field=BooleanField(),
        )
        return queryset.filter(matches)
    match = " AND ".join(_quoted(w) for w in words)
    matching_ids = RawSQL(  # noqa: S611 - constant SQL, the query is a parameter
        f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s",  # noqa: S608
        [match],
    )
    return queryset.filter(id__in=matching_ids)
