"""The staff case list with its work queues and filters (R-SEC-1 scoped)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from kesu.cases import search, selectors
from kesu.cases.forms.listing import CaseFilterForm
from kesu.sla.selectors import next_deadlines
from kesu.web.auth import signed_in_user
from kesu.web.htmx import render_page_or_partial

# The unfiltered list says "10,000+ cases" past this many (and pages up to it).
LIST_COUNT_CAP = 10_000
# A search says "1,000+ cases" past this many: counting all the matches of a
# common word reads each of them (tens of thousands of rows at 1M cases).
SEARCH_COUNT_CAP = search.MANY_MATCHES


@require_GET
@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    """Cases in the user's scope, filtered and paginated; htmx gets the results."""
    form = CaseFilterForm(request.GET)
    filters = form.filters()
    user = signed_in_user(request)
    cases = selectors.case_list(user=user, filters=filters)
    text_search = selectors.case_search(user=user, filters=filters)
    # Other filtered lists are counted exactly; a whole scope or a search up to a cap.
    cap = LIST_COUNT_CAP if filters == selectors.CaseFilters() else None
    if text_search is not None:
        cap = SEARCH_COUNT_CAP
    paginator = selectors.CasePaginator(
        cases, settings.KESU_PAGE_SIZE, count_cap=cap, text_search=text_search
    )
    page = paginator.get_page(request.GET.get("page"))
    deadlines = next_deadlines([case.pk for case in page.object_list])
    rows = [(case, deadlines.get(case.pk)) for case in page.object_list]
    return render_page_or_partial(
        request,
        "cases/list.html",
        {"form": form, "page": page, "rows": rows},
        partials={"results": "results"},
    )
