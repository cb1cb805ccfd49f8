"""The import pages: upload → map → check → commit, progress polling, permissions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kesu.cases.models import Case
from kesu.intake.models import ImportJob, ImportPreset, ImportStatus
from tests.factories import UserFactory
from tests.intake.test_import import MAPPING, ROWS, csv_bytes, make_job, run

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings) -> None:
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def preset() -> ImportPreset:
    return ImportPreset.objects.create(
        name="weibo-posts", platform="weibo", channel="social", mapping=MAPPING
    )


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_upload_map_check_and_commit_imports_the_good_rows(
    preset, store, agent, django_capture_on_commit_callbacks
):
    client = signed_in(agent)
    upload = SimpleUploadedFile("posts.csv", csv_bytes(ROWS, "gbk"))

    response = client.post(
        reverse("intake:import_list"),
        {"file": upload, "preset": preset.pk, "store": store.pk, "channel": "social"},
    )
    job = ImportJob.objects.get()
    assert response.url == reverse("intake:import_map", args=[job.pk])
    page = client.get(response.url)
    assert "网友甲" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("intake:import_map", args=[job.pk]),
            {
                **{name: cols[0] for name, cols in MAPPING.items()},
                "save_to_preset": "on",
            },
        )
    checked = client.get(reverse("intake:import_detail", args=[job.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("intake:import_commit", args=[job.pk]))

    assert "Import 2 good rows" in checked.content.decode()
    assert "Not a date we can read: 明天" in checked.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert Case.objects.count() == 2


def test_an_upload_for_a_new_source_creates_its_preset(store, agent):
    client = signed_in(agent)
    upload = SimpleUploadedFile("posts.csv", csv_bytes(ROWS))

    client.post(
        reverse("intake:import_list"),
        {"file": upload, "name": "tmall", "platform": "tmall", "channel": "import"},
    )

    job = ImportJob.objects.get()
    assert job.preset.name == "tmall"
    assert job.mapping == {}


def test_an_upload_that_is_not_a_table_is_refused_on_the_file_field(preset, agent):
    client = signed_in(agent)
    upload = SimpleUploadedFile("posts.pdf", b"%PDF-1.4")

    response = client.post(
        reverse("intake:import_list"),
        {"file": upload, "preset": preset.pk, "channel": "import"},
    )

    assert response.status_code == 400
    assert "Upload a .csv or .xlsx file." in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_mapping_without_a_description_column_is_refused(preset, store, agent):
    job = make_job(preset, store, csv_bytes(ROWS), by=agent)

    response = signed_in(agent).post(
        reverse("intake:import_map", args=[job.pk]), {"external_id": "编号"}
    )

    assert response.status_code == 400
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED


def test_the_progress_area_polls_while_running_and_stops_when_done(
    preset, store, agent
):
    job = make_job(preset, store, csv_bytes(ROWS), by=agent)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, heartbeat_at=timezone.now()
    )
    client = signed_in(agent)
    url = reverse("intake:import_detail", args=[job.pk])
    headers = {"HX-Request": "true", "HX-Target": "import-job"}

    running = client.get(url, headers=headers).content.decode()
    run(job)
    done = client.get(url, headers=headers).content.decode()

    assert running.strip().startswith('<div id="import-job"')
    assert 'hx-trigger="every 1s"' in running
    assert "<html" not in running
    assert 'hx-trigger="every 1s"' not in done
    assert "Download bad rows" in done


def test_the_bad_rows_download_as_csv(preset, store, agent):
    job = run(make_job(preset, store, csv_bytes(ROWS), by=agent))

    response = signed_in(agent).get(reverse("intake:import_errors_csv", args=[job.pk]))

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response["Content-Type"].startswith("text/csv")
    assert text.splitlines() == [
        "Row,Column,Reason",
        "4,内容,Empty: a complaint needs a description.",
        "5,电话,Not a phone number.",
        "5,时间,Not a date we can read: 明天",
    ]


def test_anonymous_users_are_sent_to_log_in(preset):
    response = Client().get(reverse("intake:import_list"))

    assert response.status_code == 302
    assert "login" in response.url


def test_a_role_that_cannot_record_complaints_gets_403(quality):
    response = signed_in(quality).get(reverse("intake:import_list"))

    assert response.status_code == 403


def test_another_agents_import_is_not_found(preset, store, agent):
    job = make_job(preset, store, csv_bytes(ROWS), by=agent)
    other = UserFactory(username="other_agent")

    for name in ("import_detail", "import_map", "import_errors_csv"):
        response = signed_in(other).get(reverse(f"intake:{name}", args=[job.pk]))
        assert response.status_code == 404


def test_committing_a_running_import_is_refused(preset, store, agent):
    job = make_job(preset, store, csv_bytes(ROWS), by=agent)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, heartbeat_at=timezone.now()
    )

    response = signed_in(agent).post(
        reverse("intake:import_commit", args=[job.pk]), follow=True
    )

    assert "This file is being processed." in response.content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.RUNNING


def test_a_stalled_import_offers_to_resume(preset, store, agent):
    job = make_job(preset, store, csv_bytes(ROWS), by=agent)
    long_ago = timezone.now() - dt.timedelta(minutes=30)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.RUNNING, heartbeat_at=long_ago
    )

    page = signed_in(agent).get(reverse("intake:import_detail", args=[job.pk]))

    assert "Resume after the last saved row" in page.content.decode()
    assert 'hx-trigger="every 1s"' not in page.content.decode()


def test_the_mapping_page_preselects_the_preset_columns_the_file_has(store, agent):
    preset = ImportPreset.objects.create(
        name="old-export",
        platform="legacy",
        mapping={"description": ["内容", "附言"], "order_number": ["订单号"]},
    )
    job = make_job(preset, store, csv_bytes(ROWS), by=agent)

    page = signed_in(agent).get(reverse("intake:import_map", args=[job.pk]))

    form = page.context["form"]
    assert job.mapping == {}
    assert form.initial == {"description": ["内容"]}
