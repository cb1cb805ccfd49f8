"""Values every page template may use."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from kesu.accounts.models import User
from kesu.accounts.permissions import Capability, has_capability


def kesu(request: HttpRequest) -> dict[str, Any]:
    """The version, and what the layout may offer the signed-in user."""
    user = getattr(request, "user", None)
    staff = user if isinstance(user, User) else None
    return {
        "kesu_version": "0.1.0",
        "can_create_case": staff is not None
        and has_capability(staff, Capability.CASE_CREATE),
    }
