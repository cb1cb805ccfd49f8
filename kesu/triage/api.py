"""Triage over JSON: the `triage` object of a case's detail (R-CL-3, R-CL-5).

`TriagedCaseDetailOut` is the case detail with it; `KESU_CASE_DETAIL_SCHEMA` names it,
so `kesu.cases.api` serves it without importing triage. Triage has no endpoints.
"""

from __future__ import annotations

from typing import Any

from ninja import Schema

from kesu.cases.models import Case
from kesu.cases.schemas import CaseDetailOut, Timestamp
from kesu.triage.selectors import TriageSummary, case_triage_summary


class TriageFieldOut(Schema):
    name: str
    label: str
    value: str
    display: str
    confidence: float | None
    is_applied: bool
    is_changed: bool
    threshold: float | None


class RepeatOut(Schema):
    number: str
    url: str
    match: str
    match_display: str


class TriageOut(Schema):
    triaged_at: Timestamp
    is_applied: bool
    needs_triage: bool
    model_version: str
    language: str
    language_display: str
    threshold: float | None
    reasons: list[str]
    fields: list[TriageFieldOut]
    repeat_of: RepeatOut | None


class TriagedCaseDetailOut(CaseDetailOut):
    triage: TriageOut | None  # null: no automatic triage, or not the caller's to see

    @staticmethod
    def resolve_triage(obj: Case, context: dict[str, Any]) -> TriageSummary | None:
        return case_triage_summary(case=obj, user=context["request"].auth)
