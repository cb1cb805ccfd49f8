"""Bearer-token authentication for the JSON API, and the scopes a token can carry.

A client sends `Authorization: Bearer kesu_…`. The token is looked up by its SHA-256
hash (the raw token is never stored); revoked tokens and tokens of inactive users are
refused with 401. What the token may do is limited twice: by its scopes (checked here,
per endpoint, refused with 403) and by its user's role (checked by the services).

Scopes:

- ``cases:read``  — list and read cases in the user's scope, reveal customer data
  (audited, and only for roles that may unmask).
- ``cases:write`` — create cases and work on them: workflow actions, verification,
  plans, feedback, assignment, handover, notes, communications.
- ``complaints:create`` — submit customers' complaints (``POST /complaints``) for an
  app, mini-program or other system; it reads and works on nothing.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja.security import HttpBearer

from kesu.accounts.models import User
from kesu.api.models import ApiToken, hash_token
from kesu.core.errors import PermissionDenied

CASES_READ = "cases:read"
CASES_WRITE = "cases:write"
COMPLAINTS_CREATE = "complaints:create"

SCOPES = {
    CASES_READ: gettext_lazy("Cases: read"),
    CASES_WRITE: gettext_lazy("Cases: create and work"),
    COMPLAINTS_CREATE: gettext_lazy("Complaints: submit (apps, other systems)"),
}

# Recording every use would make each API read a database write; a minute is precise
# enough to tell a live token from a forgotten one.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class ApiRequest(HttpRequest):
    """A request the token auth let through: `auth` is the token's user."""

    auth: User


class ScopeMissing(PermissionDenied):
    code = "scope_missing"


class TokenAuth(HttpBearer):
    """Authenticates a bearer token that carries `scope`; the user is `request.auth`."""

    def __init__(self, scope: str) -> None:
        if scope not in SCOPES:
            raise ValueError(f"unknown API scope {scope!r}")
        self.scope = scope
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        api_token = token_lookup(token)
        if api_token is None:
            return None
        if self.scope not in api_token.scopes:
            raise ScopeMissing(
                _("This token lacks the scope “%(scope)s”.") % {"scope": self.scope}
            )
        # Code that reads request.user (logging, audit helpers) sees the token's user.
        request.user = api_token.user
        return api_token.user


def token_lookup(raw: str) -> ApiToken | None:
    """The usable token with this raw value (recording its use), else None."""
    if not raw:
        return None
    api_token = (
        ApiToken.objects.usable()
        .select_related("user")
        .filter(key_hash=hash_token(raw.strip()))
        .first()
    )
    if api_token is None:
        return None
    now = timezone.now()
    if api_token.last_used_at is None or (
        now - api_token.last_used_at >= LAST_USED_RESOLUTION
    ):
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        api_token.last_used_at = now
    return api_token


read = TokenAuth(CASES_READ)
write = TokenAuth(CASES_WRITE)
intake = TokenAuth(COMPLAINTS_CREATE)
