"""The Models page: versions and their figures, retrain now, activate / roll back."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from kesu.triage.ml.training import Example
from kesu.triage.models import (
    ExampleSource,
    LabelledExample,
    ModelVersion,
    RetrainRun,
    RetrainStatus,
)
from kesu.triage.selectors import active_predictor, predictor_reset
from kesu.triage.services import model_train
from kesu.triage.services.retraining import retrain_run_execute
from tests.triage.conftest import TINY

pytestmark = pytest.mark.django_db

PAGE = reverse("triage:models")
RETRAIN = reverse("triage:models_retrain")
ACTIVATE = reverse("triage:models_activate")
POLL = {"HX-Request": "true", "HX-Target": "models-area"}  # what htmx sends


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture(autouse=True)
def _no_shipped_data(monkeypatch, tmp_path):
    monkeypatch.setenv("KESU_DATA_DIR", str(tmp_path))
    predictor_reset()
    yield
    predictor_reset()


@pytest.fixture
def db_tasks(settings):
    """A real queue (the database backend): tasks wait instead of running at once."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def queued_runs() -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(task_path__endswith="model_retrain_run"))


def stored(name: str) -> ModelVersion:
    examples = [Example(t, label) for label, texts in TINY.items() for t in texts * 2]
    version = model_train(examples=examples, trained_from=name)
    return version


def test_the_page_needs_a_login(client):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert "/login" in response["Location"]


@pytest.mark.parametrize("persona", ["agent", "supervisor", "quality"])
def test_the_page_and_its_buttons_are_refused_without_the_capability(
    client, request, persona
):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(PAGE).status_code == 403
    assert client.post(RETRAIN).status_code == 403
    assert client.post(ACTIVATE, {"version": "default"}).status_code == 403
    assert not RetrainRun.objects.exists()


def test_a_manager_sees_versions_with_their_figures(
    client, manager, django_assert_num_queries
):
    version = stored("retrain")
    ModelVersion.objects.filter(pk=version.pk).update(
        metrics={
            **version.metrics,
            "holdout": {
                "n": 7,
                "candidate": 0.8123,
                "active": 0.6,
                "active_version": "x",
            },
            "decision": "worse",
        }
    )
    client.force_login(manager)

    with django_assert_num_queries(9):
        response = client.get(PAGE)

    assert response.status_code == 200
    body = response.content.decode()
    assert f'data-version="{version.version}"' in body
    assert "0.812 (0.600)" in body
    assert "n=7" in body
    assert "Kept inactive: worse than the active model" in body
    assert "Retrain now" in body
    assert "0 staff overrides since the last retraining" in body
    assert "the task worker retrains at 50." in body
    assert 'data-version="default" class="active"' in body
    assert 'href="/triage/models/"' in body  # the navigation link


def test_the_navigation_hides_the_page_from_an_agent(client, agent):
    client.force_login(agent)

    response = client.get(reverse("notifications:list"))

    assert response.status_code == 200
    assert reverse("triage:models") not in response.content.decode()


def test_a_double_click_queues_exactly_one_task(
    client, manager, db_tasks, django_capture_on_commit_callbacks
):
    client.force_login(manager)

    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(RETRAIN, headers={"HX-Request": "true"})
    with django_capture_on_commit_callbacks(execute=True):
        second = client.post(RETRAIN, headers={"HX-Request": "true"})

    assert first.status_code == second.status_code == 200
    assert "Retraining queued" in first["HX-Trigger"]
    assert "already queued or running" in second["HX-Trigger"]
    assert len(queued_runs()) == 1
    run = RetrainRun.objects.get()
    assert run.requested_by == manager
    assert run.status == RetrainStatus.QUEUED
    assert queued_runs()[0].args_kwargs["args"] == [run.pk]


def test_the_page_polls_while_a_retraining_is_pending_and_stops_after(
    client, manager, db_tasks, django_capture_on_commit_callbacks
):
    LabelledExample.objects.bulk_create(
        LabelledExample(text=t, category=label, source=ExampleSource.FILE)
        for label, texts in TINY.items()
        for t in texts * 2
    )
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(RETRAIN)

    polling = client.get(
        PAGE, headers={"HX-Request": "true", "HX-Target": "models-area"}
    )
    retrain_run_execute(run_id=RetrainRun.objects.get().pk)
    settled = client.get(
        PAGE, headers={"HX-Request": "true", "HX-Target": "models-area"}
    )

    assert 'hx-trigger="every 2s"' in polling.content.decode()
    assert "Retraining is queued" in polling.content.decode()
    assert "<html" not in polling.content.decode()  # only the area is swapped
    body = settled.content.decode()
    assert "every 2s" not in body
    assert "Retrain now" in body
    version = ModelVersion.objects.get()
    assert f"{version.version}: Kept inactive: too few held-out overrides" in body


def test_the_button_without_htmx_redirects_back_with_a_message(
    client, manager, django_capture_on_commit_callbacks
):
    client.force_login(manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(RETRAIN)
    page = client.get(response["Location"]).content.decode()

    assert response.status_code == 302
    assert response["Location"] == PAGE
    assert "Retraining queued." in page
    # The immediate backend ran it: no examples, so it failed with the reason.
    assert "no labelled examples" in page
    assert RetrainRun.objects.get().status == RetrainStatus.FAILED


def test_a_manager_rolls_back_to_an_older_version(client, manager):
    older, newer = stored("older"), stored("newer")
    client.force_login(manager)

    client.post(ACTIVATE, {"version": newer.version})
    response = client.post(ACTIVATE, {"version": older.version})

    assert response.status_code == 302
    assert active_predictor().version == older.version
    response = client.post(ACTIVATE, {"version": "default"})
    assert active_predictor().version == "default-2"
    assert not ModelVersion.objects.filter(is_active=True).exists()


def test_an_unknown_version_is_a_field_error(client, manager):
    client.force_login(manager)

    response = client.post(ACTIVATE, {"version": "nope"})

    assert response.status_code == 400
    assert response.context["form"].errors["version"]
    assert "Select a valid choice" in response.content.decode()


def test_activate_and_retrain_refuse_get(client, manager):
    client.force_login(manager)

    assert client.get(ACTIVATE).status_code == 405
    assert client.get(RETRAIN).status_code == 405


def test_the_buttons_need_the_csrf_token(manager):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(manager)

    assert strict.post(RETRAIN).status_code == 403
    assert strict.post(ACTIVATE, {"version": "default"}).status_code == 403
    assert not RetrainRun.objects.exists()
