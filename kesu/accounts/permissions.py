"""What each role may do: one table, checked by services; views ask it what to show.

Scope (which cases a user can see at all) lives in `kesu.cases.selectors.case_scope`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from kesu.accounts.models import Role

if TYPE_CHECKING:
    from kesu.accounts.models import User


class Capability(StrEnum):
    CASE_CREATE = "case.create"
    CASE_WORK = "case.work"  # move through the workflow, notes, plans, communications
    CASE_ASSIGN = "case.assign"
    CASE_HANDOVER = "case.handover"
    CASE_APPROVE_COMPENSATION = "case.approve_compensation"
    CASE_SEE_ALL = "case.see_all"
    CASE_SEE_INTERNAL = "case.see_internal"
    PII_UNMASK = "pii.unmask"
    FIGURES_VIEW = "figures.view"  # compliance and other figures across people
    MODELS_MANAGE = "models.manage"  # retrain, activate and roll back triage models
    ADMINISTER = "administer"


_WORKER = {
    Capability.CASE_CREATE,
    Capability.CASE_WORK,
    Capability.CASE_SEE_INTERNAL,
    Capability.PII_UNMASK,
}
_LEAD = _WORKER | {
    Capability.FIGURES_VIEW,
    Capability.CASE_ASSIGN,
    Capability.CASE_HANDOVER,
    Capability.CASE_APPROVE_COMPENSATION,
}

ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.AGENT: frozenset(_WORKER),
    Role.HANDLER: frozenset(_WORKER),
    Role.SUPERVISOR: frozenset(_LEAD),
    Role.QUALITY: frozenset(
        {
            Capability.CASE_SEE_ALL,
            Capability.CASE_SEE_INTERNAL,
            Capability.FIGURES_VIEW,
        }
    ),
    Role.MANAGER: frozenset(
        _LEAD | {Capability.CASE_SEE_ALL, Capability.MODELS_MANAGE}
    ),
    Role.ADMIN: frozenset(
        _LEAD
        | {Capability.CASE_SEE_ALL, Capability.ADMINISTER, Capability.MODELS_MANAGE}
    ),
}


def has_capability(user: User, capability: Capability) -> bool:
    """Whether the user's role grants the capability."""
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    return capability in ROLE_CAPABILITIES.get(user.role, frozenset())
