"""Request types for views behind `login_required`."""

from __future__ import annotations

from django.http import HttpRequest

from kesu.accounts.models import User


class AuthedHttpRequest(HttpRequest):
    """A request whose user is logged in (the view is behind `login_required`)."""

    user: User
