"""Full-text search that works for Chinese (staff case list, API).

Texts are segmented with jieba (search mode, so 电池鼓包 also yields 电池 and 鼓包) into
space-separated tokens stored in `Case.search_text`. SQLite indexes that column with an
FTS5 table (`cases_case_fts`, rowid = case id); PostgreSQL keeps it as a stored
`tsvector` column (`search_vector`, generated from `search_text`, migration
`cases.0004`) with a GIN index. Queries are segmented the same way and every token
must match.

A page of results is the newest matches (`newest_ids`). On PostgreSQL the GIN index
gives the matches in no order, so the plan depends on how many there are: a few are
read and sorted; many (a common word at 1M cases is tens of thousands of rows spread
over the whole table) are found by reading the list newest first and stopping at the
page, which touches a few hundred rows instead of all the matches.
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
# Above this many matches, a page's newest matches are looked for among the newest
# cases first; the list view counts searches up to here ("1,000+ cases").
MANY_MATCHES = 1_000
# How many of the newest cases of the list that look reads before giving up and
# sorting all the matches (a common word that has not been used lately).
RECENT_ROWS = 10_000
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


def _tsquery(words: list[str]) -> str:
    return " & ".join("'" + w.replace("'", "''") + "'" for w in words)


def filter_by_text(queryset: CaseQuerySet, query: str) -> CaseQuerySet:
    """Cases whose text contains every token of the query."""
    words = tokens(query)
    if not words:
        return queryset
    if connection.vendor == "postgresql":
        matches = RawSQL(  # noqa: S611 - constant SQL, the query is a parameter
            "cases_case.search_vector @@ to_tsquery('simple', %s)",
            [_tsquery(words)],
            output_field=BooleanField(),
        )
        return queryset.filter(matches)
    match = " AND ".join(_quoted(w) for w in words)
    matching_ids = RawSQL(  # noqa: S611 - constant SQL, the query is a parameter
        f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s",  # noqa: S608
        [match],
    )
    return queryset.filter(id__in=matching_ids)


NEWEST_FIRST = ("-received_at", "-id")


def newest_ids(
    *,
    scope: CaseQuerySet,
    matching: CaseQuerySet,
    text: str,
    start: int,
    stop: int,
    many: bool,
) -> list[int]:
    """Ids of the matches from start to stop, in the list's order.

    `matching` is `scope` filtered by `text`; `many` says that more than
    `MANY_MATCHES` cases match (from the list's count). Same rows, same order
    whichever way they are found.
    """
    if connection.vendor != "postgresql" or matching.query.order_by != NEWEST_FIRST:
        return list(matching.values_list("pk", flat=True)[start:stop])
    if many and scope.query.order_by == NEWEST_FIRST:
        found = _among_newest(scope, tokens(text), start, stop)
        if len(found) == stop - start:
            return found
    return _sorted_matches(matching, start, stop)


def _among_newest(
    scope: CaseQuerySet, words: list[str], start: int, stop: int
) -> list[int]:
    """Matches among the newest `RECENT_ROWS` cases of the scope, newest first.

    The planner cannot see how many rows a multi-word query matches (照片 视频 go
    together far more often than apart), so it would rather sort them all; reading
    the scope newest first and stopping once the page is full is what is wanted
    when the matches are many. When fewer than `stop` matches are among those rows,
    fewer ids come back and the caller sorts all the matches instead.
    """
    vector = RawSQL("cases_case.search_vector", [])  # noqa: S611 - constant SQL
    recent = scope.annotate(vector=vector).values_list("pk", "received_at", "vector")
    inner, params = recent[:RECENT_ROWS].query.sql_with_params()
    sql = (
        f"SELECT recent.id FROM ({inner}) "  # noqa: S608 - Django's own SQL
        "AS recent (id, received_at, vector) "
        "WHERE recent.vector @@ to_tsquery('simple', %s) "
        "ORDER BY recent.received_at DESC, recent.id DESC LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, _tsquery(words), stop - start, start])
        return [row[0] for row in cursor.fetchall()]


def _sorted_matches(matching: CaseQuerySet, start: int, stop: int) -> list[int]:
    """All the matches, found with the GIN index, sorted (Django's own SQL inside).

    Meant for up to `MANY_MATCHES` rows. Materialised so that the planner cannot
    trade the index for a walk of the list's order, checking row after row (it
    might, when each word is common but they rarely go together).
    """
    inner, params = (
        matching.order_by().values_list("pk", "received_at").query.sql_with_params()
    )
    sql = (
        f"WITH found (id, received_at) AS MATERIALIZED ({inner}) "  # noqa: S608
        "SELECT found.id FROM found "
        "ORDER BY found.received_at DESC, found.id DESC LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, stop - start, start])
        return [row[0] for row in cursor.fetchall()]
