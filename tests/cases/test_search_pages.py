"""Search result pages: the same cases in the same order however they are found.

On PostgreSQL a page of matches is found either among the newest cases (many
matches) or by sorting all of them (few, or none lately); on SQLite the plain
query runs. Each way must give the list's own order: newest received first, then
the highest id.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kesu.cases import search
from kesu.cases.models import Case
from kesu.cases.selectors import CaseFilters, case_list, case_rows, case_search
from tests.factories import make_case

pytestmark = pytest.mark.django_db

URL = reverse("cases:list")
BASE = dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC)
# Hours after BASE for each case, in creation (id) order: not monotonic, with ties,
# so the order by date and the order by id disagree.
MATCHING_HOURS = [5, 1, 9, 9, 3, 12, 0, 7, 9, 2, 11, 4]
OTHER_HOURS = [6, 10, 13, 8, 1, 14]


@pytest.fixture
def searched(agent, store) -> list[int]:
    """12 cases about 漏水 and 6 others; the ids of the 12 in the list's order."""
    for hours in MATCHING_HOURS:
        case = make_case(by=agent, store=store, description="洗衣机漏水，地板都湿了")
        Case.objects.filter(pk=case.pk).update(
            received_at=BASE + dt.timedelta(hours=hours)
        )
    for hours in OTHER_HOURS:
        case = make_case(by=agent, store=store, description="冰箱不制冷")
        Case.objects.filter(pk=case.pk).update(
            received_at=BASE + dt.timedelta(hours=hours)
        )
    matching = Case.objects.filter(description__contains="漏水")
    return list(matching.order_by("-received_at", "-id").values_list("pk", flat=True))


def _page(
    manager, filters: CaseFilters, start: int, stop: int, *, many: bool
) -> list[int]:
    text_search = case_search(user=manager, filters=filters)
    assert text_search is not None
    cases = case_list(user=manager, filters=filters)
    rows = case_rows(cases, start, stop, text_search=text_search, many=many)
    return [case.pk for case in rows]


@pytest.mark.parametrize("recent_rows", [4, 10_000])
@pytest.mark.parametrize("many", [False, True])
def test_search_pages_are_in_list_order_whichever_way_they_are_found(
    monkeypatch, manager, searched, many, recent_rows
):
    # recent_rows=4: the newest four cases hold too few matches for a page of five,
    # so the look among the newest gives up and all the matches are sorted.
    monkeypatch.setattr(search, "RECENT_ROWS", recent_rows)
    filters = CaseFilters(text="漏水")

    pages = [
        _page(manager, filters, start, stop, many=many)
        for start, stop in [(0, 5), (5, 10), (10, 15), (0, 25), (3, 4)]
    ]

    assert pages == [
        searched[0:5],
        searched[5:10],
        searched[10:12],
        searched,
        searched[3:4],
    ]


def test_search_with_other_filters_keeps_them(manager, agent, store, searched):
    other = make_case(by=agent, store=store, description="漏水", severity="urgent")
    filters = CaseFilters(text="漏水", severity="urgent")

    assert _page(manager, filters, 0, 25, many=True) == [other.pk]
    assert _page(manager, filters, 0, 25, many=False) == [other.pk]


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the plans are PostgreSQL's"
)
@pytest.mark.parametrize(
    ("many", "recent_rows", "shapes"),
    [
        (True, 10_000, ["recent"]),  # found among the newest: one query
        (True, 4, ["recent", "MATERIALIZED"]),  # too few there: sorted after all
        (False, 10_000, ["MATERIALIZED"]),  # few matches: sorted straight away
    ],
)
def test_postgresql_finds_a_page_the_way_the_match_count_calls_for(
    monkeypatch, manager, searched, many, recent_rows, shapes
):
    monkeypatch.setattr(search, "RECENT_ROWS", recent_rows)
    filters = CaseFilters(text="漏水")
    text_search = case_search(user=manager, filters=filters)
    assert text_search is not None
    matching = case_list(user=manager, filters=filters)

    with CaptureQueriesContext(connection) as queries:
        ids = search.newest_ids(
            scope=text_search.scope,
            matching=matching,
            text=text_search.text,
            start=0,
            stop=5,
            many=many,
        )

    assert ids == searched[:5]
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == len(shapes)
    assert all(shape in q for shape, q in zip(shapes, sql, strict=True))


def test_text_without_words_is_no_search(manager):
    assert case_search(user=manager, filters=CaseFilters(text=" ，。! ")) is None
    assert case_search(user=manager, filters=CaseFilters()) is None


def test_search_count_is_capped_and_pages_stay_in_order(
    client, monkeypatch, settings, manager, searched
):
    monkeypatch.setattr("kesu.cases.views.listing.SEARCH_COUNT_CAP", 10)
    monkeypatch.setattr(search, "MANY_MATCHES", 10)
    settings.KESU_PAGE_SIZE = 5
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(manager)

    first = client.get(URL, {"q": "漏水"})
    second = client.get(URL, {"q": "漏水", "page": 2})
    narrowed = client.get(URL, {"q": "漏水 地板", "severity": "general"})

    assert first.context["page"].paginator.capped
    assert "10+ cases" in first.content.decode()
    assert "Page 1 of 2+" in first.content.decode()
    assert [c.pk for c in first.context["page"].object_list] == searched[0:5]
    assert [c.pk for c in second.context["page"].object_list] == searched[5:10]
    # Filters beside the text keep the cap: it is a search.
    assert narrowed.context["page"].paginator.capped


def test_search_page_query_count_is_pinned(
    client, django_assert_num_queries, manager, searched
):
    client.force_login(manager)

    # session, user, capped count, 5 filter choice lists, the page's ids, those
    # cases with their relations, their owners and assignees, their open deadline
    # clocks, unread notifications.
    with django_assert_num_queries(13):
        response = client.get(URL, {"q": "漏水"})

    assert [c.pk for c in response.context["page"].object_list] == searched
