"""Triage over JSON: the `triage` object of a case's detail (R-CL-3, R-CL-5).

`kesu.cases.api` embeds `TriageOut` in the case detail; triage has no endpoints.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Schema
from pydantic import PlainSerializer

Timestamp = Annotated[
    dt.datetime,
    PlainSerializer(
        lambda value: value.astimezone(dt.UTC).isoformat(), return_type=str
    ),
]


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
