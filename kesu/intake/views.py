"""The public complaint form (no login) and its confirmation page (R-IN-1..3)."""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect

from kesu.cases.models import Case
from kesu.core.errors import DomainError, InvalidInput
from kesu.intake.backends.web import WebFormBackend
from kesu.intake.forms import SUBMIT_KEY_FIELD, ComplaintForm, form_token_issue
from kesu.intake.selectors import first_response_due

logger = logging.getLogger(__name__)

# The confirmation link carries the case number signed, so nobody can read another
# customer's confirmation by guessing numbers; it is good for a day.
RECEIPT_SALT = "kesu.intake.receipt"
RECEIPT_MAX_AGE = 24 * 3600


def _rate_limited(request: HttpRequest) -> bool:
    """Count this post against its IP; True once the window's allowance is used up.

    REMOTE_ADDR, not X-Forwarded-For: a client can forge the header. Behind a proxy,
    the proxy must set REMOTE_ADDR (e.g. gunicorn's --forwarded-allow-ips).
    """
    address = request.META.get("REMOTE_ADDR", "")
    key = "intake:rate:" + hashlib.sha256(address.encode()).hexdigest()[:32]
    window = settings.KESU_INTAKE_FORM_RATE_WINDOW
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    return count > settings.KESU_INTAKE_FORM_RATE


@csrf_protect
def complaint_new(request: HttpRequest) -> HttpResponse:
    """The form; on success a redirect to the confirmation, else the form kept."""
    if request.method != "POST":
        form = ComplaintForm(initial={SUBMIT_KEY_FIELD: form_token_issue()})
        return render(request, "intake/new.html", {"form": form})
    if _rate_limited(request):
        return render(request, "intake/rate_limited.html", status=429)
    form = ComplaintForm(request.POST, request.FILES)
    if form.is_bot:
        form.add_error(None, _("This form could not be accepted. Please try again."))
    elif form.is_valid():
        try:
            receipt = WebFormBackend().receive_form(
                form.cleaned_data,
                user_agent=request.headers.get("User-Agent", ""),
            )
        except InvalidInput as error:
            form.add_domain_error(error)
        except DomainError as error:
            if error.code == "idempotency_conflict":
                form.token_spent()
            else:
                # Set-up problems (no agent to own it) are not the customer's to fix.
                logger.error("public complaint refused: %s", error.code)
                form.add_error(None, _("We could not record your complaint just now."))
        else:
            token = signing.dumps(receipt.case.number, salt=RECEIPT_SALT)
            return redirect("intake:received", token=token)
    return render(request, "intake/new.html", {"form": form}, status=400)


def complaint_received(request: HttpRequest, token: str) -> HttpResponse:
    """The case number and the promised first-response time; 404 for a bad link."""
    try:
        number = signing.loads(token, salt=RECEIPT_SALT, max_age=RECEIPT_MAX_AGE)
    except signing.BadSignature:
        raise Http404 from None
    case = Case.objects.select_related("store").filter(number=number).first()
    if case is None:
        raise Http404
    return render(
        request,
        "intake/received.html",
        {"case": case, "response_due": first_response_due(case)},
    )
