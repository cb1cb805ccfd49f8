"""The case pages' select lists are read with plain queries, not cursors.

Django reads a choice field's options through `QuerySet.iterator()`, a server-side
cursor on PostgreSQL (DECLARE, FETCH, CLOSE); `ListedModelChoiceField` reads them
with one SELECT. On SQLite there are no server-side cursors: the options are
checked there all the same.
"""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kesu.cases.forms.listing import CaseFilterForm
from tests.factories import make_case


def _cursors(queries: list[dict[str, str]]) -> list[str]:
    return [
        q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("DECLARE")
    ]


def test_the_list_page_filter_reads_its_choices_without_cursors(
    client, supervisor, store, after_sales
):
    client.force_login(supervisor)

    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("cases:list")).content.decode()

    assert _cursors(queries.captured_queries) == []
    assert f'<option value="{after_sales.pk}">' in html
    assert f'<option value="{store.pk}">' in html


def test_the_detail_page_panels_read_their_choices_without_cursors(
    client, agent, supervisor, store, after_sales
):
    case = make_case(by=agent, store=store)
    client.force_login(supervisor)

    with CaptureQueriesContext(connection) as queries:
        html = client.get(
            reverse("cases:detail", args=[case.number]),
            {"panel": "assign"},
            HTTP_HX_REQUEST="true",
            HTTP_HX_TARGET="panel-assign",
        ).content.decode()

    assert _cursors(queries.captured_queries) == []
    assign = html.split('id="panel-assign"')[1].split("</form>")[0]
    assert f'<option value="{after_sales.pk}"' in assign
    assert f'<option value="{supervisor.pk}"' in assign


def test_a_choice_outside_the_list_is_still_refused(supervisor):
    form = CaseFilterForm(data={"department": "999999"})

    assert not form.is_valid()
    assert "department" in form.errors
