"""Personal data is encrypted at rest, found by blind index and masked (R-SEC-2)."""

from __future__ import annotations

import pytest
from django.db import connection

from kesu.cases.models import Customer
from kesu.cases.services import customer_find_by_phone, customer_get_or_create
from kesu.privacy import crypto
from tests.factories import make_case

pytestmark = pytest.mark.django_db

NAME = "张三丰"
PHONE = "+86 138-0013-8000"
PHONE_DIGITS = "13800138000"
EMAIL = "Zhang.Sanfeng@Example.com"
ADDRESS = "上海市徐汇区漕溪北路88号3号楼"
PLAINTEXTS = (NAME, PHONE, PHONE_DIGITS, EMAIL, EMAIL.lower(), ADDRESS)
PII_COLUMNS = ("name", "phone", "email", "address")


@pytest.fixture
def customer(agent, store) -> Customer:
    case = make_case(
        by=agent,
        store=store,
        customer_name=NAME,
        customer_phone=PHONE,
        customer_email=EMAIL,
        customer_address=ADDRESS,
    )
    return case.customer


def raw_customer_row(pk: int) -> dict[str, object]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM cases_customer WHERE id = %s", [pk])
        columns = [col[0] for col in cursor.description]
        return dict(zip(columns, cursor.fetchone(), strict=True))


def all_tables() -> list[str]:
    if connection.vendor == "sqlite":
        # sqlite_master also lists FTS5 shadow tables, which hold the indexed tokens.
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            return [row[0] for row in cursor.fetchall()]
    return connection.introspection.table_names()


def database_dump() -> list[bytes]:
    """Every value of every column of every table, as bytes."""
    values = []
    with connection.cursor() as cursor:
        for table in all_tables():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        values.append(bytes(value))
                    elif value is not None:
                        values.append(str(value).encode())
    return values


def test_customer_row_holds_no_plaintext(customer):
    """R-SEC-2: name, phone, e-mail and address columns hold only Fernet tokens."""
    row = raw_customer_row(customer.pk)

    for column in PII_COLUMNS:
        assert row[column]
        assert crypto.decrypt(row[column]) != row[column]
    for value in row.values():
        for plaintext in PLAINTEXTS:
            assert plaintext not in str(value)


def test_no_plaintext_anywhere_in_the_database(customer):
    """R-SEC-2: a full dump of the database never contains the personal data."""
    number = customer.cases.get().number
    dump = database_dump()

    # The dump does see clear text that is not personal data.
    assert any(number.encode() in value for value in dump)
    assert any("上海徐汇店".encode() in value for value in dump)
    for plaintext in PLAINTEXTS:
        needle = plaintext.encode()
        assert not [value for value in dump if needle in value], plaintext


def test_orm_decrypts_the_stored_values(customer):
    """R-SEC-2: reading through the ORM gives back the (normalised) data."""
    fresh = Customer.objects.get(pk=customer.pk)

    assert fresh.name == NAME
    assert fresh.phone == PHONE_DIGITS
    assert fresh.email == EMAIL.lower()
    assert fresh.address == ADDRESS


def test_blind_index_finds_customer_by_phone_written_differently(customer):
    """R-SEC-2: 0086 138 0013 8000 finds the customer stored from +86 138-0013-8000."""
    found = customer_find_by_phone("0086 138 0013 8000")
    again = customer_get_or_create(name="张先生", phone="138 0013 8000")

    assert found == customer
    assert again == customer
    assert Customer.objects.count() == 1
    assert raw_customer_row(customer.pk)["phone_index"] == crypto.phone_index(PHONE)


def test_unknown_phone_finds_nobody(customer):
    assert customer_find_by_phone("13900139000") is None
    assert customer_find_by_phone("") is None


def test_empty_values_stay_empty_and_unencrypted(agent, store):
    case = make_case(by=agent, store=store, customer_phone="13912345678")

    row = raw_customer_row(case.customer_id)

    assert row["email"] == ""
    assert row["address"] == ""
    assert row["email_index"] == ""


def test_ciphertexts_differ_for_equal_plaintexts(agent, store):
    """Fernet is randomised: equal names do not give equal columns to compare."""
    first = make_case(by=agent, store=store, customer_phone="13900000001")
    second = make_case(by=agent, store=store, customer_phone="13900000002")

    assert first.customer.name == second.customer.name
    assert (
        raw_customer_row(first.customer_id)["name"]
        != raw_customer_row(second.customer_id)["name"]
    )


def test_customer_shows_masked_values_by_default(customer):
    """R-SEC-2: 张**, 138****8000, z***@example.com, the address's first six chars."""
    assert customer.masked_name == "张**"
    assert customer.masked_phone == "138****8000"
    assert customer.masked_email == "z***@example.com"
    assert customer.masked_address == "上海市徐汇区******"
    assert str(customer) == "张**"


@pytest.mark.parametrize(
    ("name", "masked"),
    [("John Smith", "J*** S***"), ("李", "李**"), ("  ", "")],
)
def test_masked_name_hides_length(name, masked):
    assert Customer(name=name).masked_name == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13812341234", "138****1234"), ("12345", "***45"), ("1", "*"), ("", "")],
)
def test_masked_phone_keeps_prefix_and_last_digits(phone, masked):
    assert Customer(phone=phone).masked_phone == masked


def test_masked_email_and_address_edge_cases():
    assert Customer(email="").masked_email == ""
    assert Customer(email="no-at-sign").masked_email == "n***"
    assert Customer(address="北京").masked_address == "北京"
    assert Customer(address="北京市朝阳").masked_address == "北京***"
