"""factory_boy factories with minimal defaults."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from kesu.accounts.models import Department, Role, Store, User
from kesu.cases.models import Case, Category, Channel
from kesu.cases.services import CaseInput, case_create


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept-{n}")
    name = factory.Sequence(lambda n: f"部门{n}")
    name_en = factory.Sequence(lambda n: f"Department {n}")


class StoreFactory(DjangoModelFactory):
    class Meta:
        model = Store
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"store-{n}")
    name = factory.Sequence(lambda n: f"门店{n}")
    name_en = factory.Sequence(lambda n: f"Store {n}")
    time_zone = "Asia/Shanghai"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.AGENT
    password = factory.django.Password("pass-for-tests-1")

    @factory.post_generation
    def departments(
        self, create: bool, extracted: list[Department] | None, **kwargs: object
    ):
        if create and extracted:
            self.departments.set(extracted)

    @factory.post_generation
    def stores(self, create: bool, extracted: list[Store] | None, **kwargs: object):
        if create and extracted:
            self.stores.set(extracted)


def top_category(code: str = "product_quality") -> Category:
    return Category.objects.get(code=code)


def make_case(*, by: User, store: Store | None = None, **overrides: object) -> Case:
    """Create a case through the real service, as staff would."""
    values: dict[str, object] = {
        "channel": Channel.PHONE,
        "store": store or StoreFactory(),
        "description": "洗衣机脱水时噪音很大，还漏水。",
        "customer_name": "张三",
        "customer_phone": "13812341234",
    }
    values.update(overrides)
    return case_create(data=CaseInput(**values), by=by)  # type: ignore[arg-type]
