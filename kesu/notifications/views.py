"""The notification centre page."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from kesu.notifications import selectors
from kesu.notifications.models import Notification
from kesu.notifications.services import notifications_mark_read
from kesu.web.auth import signed_in_user
from kesu.web.htmx import render_page_or_partial


@require_GET
@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """The signed-in user's notifications, unread first if asked."""
    user = signed_in_user(request)
    unread_only = request.GET.get("show") == "unread"
    rows = selectors.notification_list(user=user, unread_only=unread_only)
    page = Paginator(rows, settings.KESU_PAGE_SIZE).get_page(request.GET.get("page"))
    return render_page_or_partial(
        request,
        "notifications/list.html",
        {"page": page, "unread_only": unread_only},
        partials={"notifications": "notifications"},
    )


@require_POST
@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read and go to what it is about."""
    user = signed_in_user(request)
    try:
        notification = selectors.notification_get(user=user, pk=pk)
    except Notification.DoesNotExist as missing:
        raise Http404 from missing
    notifications_mark_read(user=user, ids=[notification.pk])
    safe = url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}
    )
    return redirect(
        notification.url if safe and notification.url else "notifications:list"
    )


@require_POST
@login_required
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    """Mark every notification of the user read."""
    notifications_mark_read(user=signed_in_user(request))
    return redirect("notifications:list")
