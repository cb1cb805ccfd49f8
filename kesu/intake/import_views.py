"""The staff pages of bulk import: upload → map → check (dry run) → commit.

Each view parses its form, fetches the job in the user's view (404 outside it) and
calls one service; the run itself happens in the task worker, and the job page
polls its progress with htmx.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from kesu.accounts.models import User
from kesu.accounts.permissions import Capability, has_capability
from kesu.core.errors import DomainError, NotFound
from kesu.intake.imports import selectors, services
from kesu.intake.imports.forms import MappingForm, UploadForm
from kesu.intake.imports.report import error_csv_lines
from kesu.intake.models import ImportJob
from kesu.web.auth import signed_in_user
from kesu.web.htmx import render_page_or_partial

ERRORS_PER_PAGE = 100


def _importer(request: HttpRequest) -> User:
    user = signed_in_user(request)
    # Importing makes cases: the same capability as recording one by hand.
    if not has_capability(user, Capability.CASE_CREATE):
        raise PermissionDenied
    return user


def _job(user: User, pk: int) -> ImportJob:
    try:
        return selectors.import_job_get(user=user, pk=pk)
    except NotFound:
        raise Http404 from None


@login_required
def import_list(request: HttpRequest) -> HttpResponse:
    """Earlier imports and the upload form; a good upload goes on to the mapping."""
    user = _importer(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_upload(data=form.cleaned_data, by=user)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            return redirect("intake:import_map", pk=job.pk)
    jobs = selectors.import_job_list(user=user)[:20]
    status = 400 if request.method == "POST" else 200
    return render(
        request, "intake/import/list.html", {"form": form, "jobs": jobs}, status=status
    )


@login_required
def import_map(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose the columns for each Kesu field; saving starts the dry run."""
    user = _importer(request)
    job = _job(user, pk)
    headers, sample = selectors.import_job_sample(job)
    initial = MappingForm.initial_for(job, headers)
    form = MappingForm(request.POST or None, headers=headers, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.import_job_check(
                job=job,
                mapping=form.mapping(),
                by=user,
                save_to_preset=form.cleaned_data["save_to_preset"],
            )
        except DomainError as error:
            form.add_domain_error(error)
        else:
            return redirect("intake:import_detail", pk=job.pk)
    context = {"job": job, "form": form, "headers": headers, "sample": sample}
    status = 400 if request.method == "POST" else 200
    return render(request, "intake/import/map.html", context, status=status)


@require_GET
@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Progress, counts and every bad row; htmx polls the job area while it runs."""
    job = _job(_importer(request), pk)
    errors = Paginator(job.errors.all(), ERRORS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render_page_or_partial(
        request,
        "intake/import/detail.html",
        {
            "job": job,
            "errors": errors,
            "is_stalled": services.import_job_is_stalled(job),
        },
        partials={"import-job": "job_area"},
    )


@require_POST
@login_required
def import_commit(request: HttpRequest, pk: int) -> HttpResponse:
    """Import the checked file for real (good rows in, bad rows reported)."""
    user = _importer(request)
    job = _job(user, pk)
    try:
        services.import_job_start(job=job, dry_run=False, by=user)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("intake:import_detail", pk=job.pk)


@require_POST
@login_required
def import_resume(request: HttpRequest, pk: int) -> HttpResponse:
    """Continue a failed or stalled run after its last committed row."""
    user = _importer(request)
    job = _job(user, pk)
    try:
        services.import_job_resume(job=job, by=user)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("intake:import_detail", pk=job.pk)


@require_GET
@login_required
def import_errors_csv(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """Every bad row of the job as CSV (row, column, reason)."""
    job = _job(_importer(request), pk)
    response = StreamingHttpResponse(
        error_csv_lines(job), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="import-{job.pk}-bad-rows.csv"'
    )
    return response
