"""Every triage write; import services from here (the modules group them by concern)."""

from kesu.triage.services.cases import case_route, case_triage, on_case_event
from kesu.triage.services.duplicates import (
    case_signature_record,
    signatures_backfill,
)
from kesu.triage.services.repeats import case_repeat_link
from kesu.triage.services.routing import case_route_apply
from kesu.triage.services.training import (
    example_record,
    examples_check,
    examples_from_db,
    model_activate,
    model_train,
)

__all__ = [
    "case_repeat_link",
    "case_route",
    "case_route_apply",
    "case_signature_record",
    "case_triage",
    "example_record",
    "examples_check",
    "examples_from_db",
    "model_activate",
    "model_train",
    "on_case_event",
    "signatures_backfill",
]
