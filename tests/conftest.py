"""Personas and shared fixtures (STYLE.md §6)."""

from __future__ import annotations

import pytest

from kesu.accounts.models import Department, Role, Store, User
from tests.factories import DepartmentFactory, StoreFactory, UserFactory


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }


@pytest.fixture
def store(db) -> Store:
    return StoreFactory(code="sh-xuhui", name="上海徐汇店", name_en="Shanghai Xuhui")


@pytest.fixture
def after_sales(db) -> Department:
    return DepartmentFactory(code="after-sales", name="售后部", name_en="After-sales")


@pytest.fixture
def logistics(db) -> Department:
    return DepartmentFactory(code="logistics", name="物流部", name_en="Logistics")


@pytest.fixture
def agent(db, store) -> User:
    return UserFactory(username="agent", role=Role.AGENT, stores=[store])


@pytest.fixture
def handler(db, after_sales) -> User:
    return UserFactory(username="handler", role=Role.HANDLER, departments=[after_sales])


@pytest.fixture
def other_handler(db, logistics) -> User:
    return UserFactory(
        username="other_handler", role=Role.HANDLER, departments=[logistics]
    )


@pytest.fixture
def supervisor(db, after_sales) -> User:
    return UserFactory(
        username="supervisor", role=Role.SUPERVISOR, departments=[after_sales]
    )


@pytest.fixture
def manager(db) -> User:
    return UserFactory(username="manager", role=Role.MANAGER)


@pytest.fixture
def quality(db) -> User:
    return UserFactory(username="quality", role=Role.QUALITY)
