"""Values every page template may use."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from kesu.accounts.models import User
from kesu.accounts.permissions import Capability, has_capability
from kesu.notifications.selectors import unread_count


def kesu(request: HttpRequest) -> dict[str, Any]:
    """The version, and what the layout may offer the signed-in user."""
    user = getattr(request, "user", None)
    staff = user if isinstance(user, User) else None
    return {
        "kesu_version": "0.1.0",
        "can_create_case": staff is not None
        and has_capability(staff, Capability.CASE_CREATE),
        "can_see_figures": staff is not None
        and has_capability(staff, Capability.FIGURES_VIEW),
        "can_manage_models": staff is not None
        and has_capability(staff, Capability.MODELS_MANAGE),
        # Lazy: pages that never show the top bar do not pay for the query.
        "unread_notifications": SimpleLazyObject(
            lambda: unread_count(staff) if staff is not None else 0
        ),
    }
