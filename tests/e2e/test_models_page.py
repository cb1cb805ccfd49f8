"""The Models page in a real browser: retrain now, follow the run, roll back."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from playwright.sync_api import expect

from kesu.triage.models import ExampleSource, LabelledExample, RetrainRun
from kesu.triage.selectors import predictor_reset
from kesu.triage.services.retraining import retrain_run_execute
from tests.triage.conftest import TINY


@pytest.fixture(autouse=True)
def _queued_tasks(settings, monkeypatch, tmp_path):
    # A real queue: the run waits for a worker (this test) instead of running at once.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    monkeypatch.setenv("KESU_DATA_DIR", str(tmp_path))  # no shipped rows: fast
    predictor_reset()
    yield
    predictor_reset()


def test_retrain_now_queues_one_run_the_page_follows_it_and_rollback_works(
    page, login, browser_errors, manager
):
    LabelledExample.objects.bulk_create(
        LabelledExample(text=t, category=label, source=ExampleSource.FILE)
        for label, texts in TINY.items()
        for t in texts * 2
    )
    login(manager)
    page.goto(reverse("triage:models"))

    page.locator("form[action$='/models/retrain/'] button").dblclick()

    expect(page.locator("[data-retrain=queued]")).to_be_visible()
    run = RetrainRun.objects.get()
    assert (
        DBTaskResult.objects.filter(task_path__endswith="model_retrain_run").count()
        == 1
    )
    retrain_run_execute(run_id=run.pk)  # what the worker does
    run.refresh_from_db()
    row = page.locator(f"tr[data-version='{run.candidate.version}']")
    expect(row).to_be_visible()  # the polling area swapped in the new version
    expect(page.locator("[data-retrain]")).to_have_count(0)
    # Too few held-out overrides: kept aside; activate it by hand, then roll back.
    row.locator("button").click()
    expect(
        page.locator(f"tr[data-version='{run.candidate.version}'].active")
    ).to_be_visible()
    page.locator("tr[data-version='default'] button").click()
    expect(page.locator("tr[data-version='default'].active")).to_be_visible()
    assert browser_errors == []
