"""The signed-in user, typed, for views behind `login_required`."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from kesu.accounts.models import User


def signed_in_user(request: HttpRequest) -> User:
    """The request's staff user; refuses an anonymous one instead of casting it."""
    user = request.user
    # Only a view that forgot `login_required` gets here without a User: fail closed.
    if not isinstance(user, User):
        raise PermissionDenied
    return user
