"""Every write to a case: one transaction, one event appended (see DESIGN.md).

Import services from here; the modules group them by concern.
"""

from kesu.cases.services.customers import customer_find_by_phone, customer_get_or_create
from kesu.cases.services.events import event_append
from kesu.cases.services.intake import (
    CaseInput,
    PreparedCase,
    case_create,
    case_prepare,
    case_receive,
    case_write,
)
from kesu.cases.services.work import (
    case_assign,
    case_classify,
    case_handover,
    case_unmask,
    collaboration_answer,
    collaboration_request,
    communication_log,
    note_add,
    plan_decide,
    plan_propose,
)
from kesu.cases.services.workflow import (
    case_facts,
    case_record_feedback,
    case_record_verification,
    case_transition,
)

__all__ = [
    "CaseInput",
    "PreparedCase",
    "case_assign",
    "case_classify",
    "case_create",
    "case_facts",
    "case_prepare",
    "case_handover",
    "case_record_feedback",
    "case_receive",
    "case_record_verification",
    "case_transition",
    "case_write",
    "case_unmask",
    "collaboration_answer",
    "collaboration_request",
    "communication_log",
    "customer_find_by_phone",
    "customer_get_or_create",
    "event_append",
    "note_add",
    "plan_decide",
    "plan_propose",
]
