"""No personal data in logs or in the messages of errors about bad input (R-SEC-2)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from django.core import mail

from kesu.cases.services import (
    case_assign,
    case_record_verification,
    case_transition,
    case_unmask,
    customer_find_by_phone,
    plan_propose,
)
from kesu.cases.tasks import notify_approvers, notify_assignee
from kesu.core.errors import InvalidInput
from tests.factories import make_case

pytestmark = pytest.mark.django_db

NAME = "张三丰"
PHONE = "+86 138-0013-8000"
EMAIL = "zhang.sanfeng@example.com"
ADDRESS = "上海市徐汇区漕溪北路88号"
SECRETS = (NAME, PHONE, "13800138000", "138-0013-8000", EMAIL, "zhang.sanfeng", ADDRESS)


class Recorder(logging.Handler):
    """Keeps every record, formatted with its arguments and traceback."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record) + repr(record.__dict__))


@pytest.fixture
def recorder(settings, caplog) -> Iterator[Recorder]:
    """Everything logged at DEBUG, SQL with its parameters included."""
    settings.DEBUG = True  # Django logs every query only in DEBUG
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.db.backends")
    handler = Recorder()
    # Loggers that do not propagate would hide their records from the root handler.
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.propagate
    ]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)


def leaked(lines: list[str]) -> list[str]:
    return [line for line in lines if any(secret in line for secret in SECRETS)]


def test_case_work_logs_no_personal_data(
    recorder,
    caplog,
    agent,
    supervisor,
    handler,
    after_sales,
    store,
    django_capture_on_commit_callbacks,
):
    """R-SEC-2: create, unmask, assign, plan and notify; nothing personal is logged."""
    supervisor.email = "lead@example.com"
    supervisor.save()
    handler.email = "handler@example.com"
    handler.save()

    with django_capture_on_commit_callbacks(execute=True):
        case = make_case(
            by=agent,
            store=store,
            department=after_sales,
            customer_name=NAME,
            customer_phone=PHONE,
            customer_email=EMAIL,
            customer_address=ADDRESS,
        )
        revealed = case_unmask(case=case, by=supervisor)
        customer_find_by_phone("0086 138 0013 8000")
        case_assign(case=case, department=after_sales, assignee=handler, by=supervisor)
        case = case_transition(case=case, action="verify", by=agent)
        case = case_record_verification(
            case=case, result="confirmed", note="", by=agent
        )
        case = case_transition(case=case, action="handle", by=agent)
        plan = plan_propose(
            case=case,
            by=agent,
            resolution_type="compensation_cash",
            compensation_amount="1200",
            description="赔偿",
        )
    notify_assignee.call(case.pk, handler.pk)
    notify_approvers.call(plan.pk)

    assert revealed["name"] == NAME
    assert len(mail.outbox) == 4
    sql = [r for r in caplog.records if r.name == "django.db.backends"]
    assert any("cases_customer" in r.getMessage() for r in sql)
    assert any(case.number in line for line in recorder.lines)
    assert leaked(recorder.lines) == []
    assert leaked([r.getMessage() for r in caplog.records]) == []
    assert leaked([m.subject + m.body for m in mail.outbox]) == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"customer_phone": "138-0013-800x " + NAME}, "phone"),
        ({"customer_phone": "", "customer_email": "zhang.sanfeng at example"}, "email"),
        ({"customer_phone": "", "customer_email": ""}, "phone"),
        ({"description": "  "}, "description"),
        ({"channel": "pigeon"}, "channel"),
    ],
)
def test_bad_input_errors_carry_no_personal_data(
    recorder, agent, store, overrides, field
):
    """R-SEC-2: InvalidInput messages reach responses and logs; they stay clean."""
    values = {
        "customer_name": NAME,
        "customer_phone": PHONE,
        "customer_address": ADDRESS,
        **overrides,
    }

    with pytest.raises(InvalidInput) as caught:
        make_case(by=agent, store=store, **values)

    error = caught.value
    assert error.field == field
    texts = [str(error), repr(error), error.message, repr(error.args)]
    assert leaked(texts) == []
    assert leaked(recorder.lines) == []
