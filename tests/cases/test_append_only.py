"""The case timeline is append-only through the ORM on every database (R-SEC-4)."""

from __future__ import annotations

import pytest

from kesu.cases.models import CaseEvent
from kesu.cases.services import event_append
from kesu.core.models import AppendOnlyError
from tests.factories import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(agent, store) -> CaseEvent:
    return make_case(by=agent, store=store).events.get()


def test_new_event_can_be_appended(event, agent):
    added = event_append(case=event.case, type="note.added", actor=agent)

    assert list(event.case.events.values_list("type", flat=True)) == [
        "case.received",
        "note.added",
    ]
    assert added.pk != event.pk


def test_saving_an_existing_event_is_refused(event):
    event.message = "rewritten history"

    with pytest.raises(AppendOnlyError):
        event.save()

    assert CaseEvent.objects.get(pk=event.pk).message != "rewritten history"


def test_saving_a_reloaded_event_with_update_fields_is_refused(event):
    reloaded = CaseEvent.objects.get(pk=event.pk)
    reloaded.type = "case.forged"

    with pytest.raises(AppendOnlyError):
        reloaded.save(update_fields=["type"])

    assert CaseEvent.objects.get(pk=event.pk).type == "case.received"


def test_deleting_an_event_is_refused(event):
    with pytest.raises(AppendOnlyError):
        event.delete()

    assert CaseEvent.objects.filter(pk=event.pk).exists()


def test_queryset_update_is_refused(event):
    with pytest.raises(AppendOnlyError):
        CaseEvent.objects.filter(pk=event.pk).update(message="rewritten")

    assert CaseEvent.objects.get(pk=event.pk).message == event.message


def test_queryset_delete_is_refused(event):
    with pytest.raises(AppendOnlyError):
        CaseEvent.objects.all().delete()

    assert CaseEvent.objects.count() == 1


def test_related_manager_update_and_delete_are_refused(event):
    with pytest.raises(AppendOnlyError):
        event.case.events.update(type="case.forged")
    with pytest.raises(AppendOnlyError):
        event.case.events.all().delete()

    assert event.case.events.get().type == "case.received"
