"""Key rotation: old rows stay readable, `reencrypt_pii` moves them to the new key."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import CommandError, call_command
from django.db import connection

from kesu.cases.models import Customer
from kesu.cases.services import customer_find_by_phone, customer_get_or_create
from kesu.privacy import crypto
from kesu.privacy.management.commands.reencrypt_pii import (
    Command,
    encrypted_columns,
)

pytestmark = pytest.mark.django_db

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
PII_COLUMNS = ("name", "phone", "email", "address")


def raw_values() -> dict[int, tuple[str, ...]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, name, phone, email, address FROM cases_customer")
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


def reencrypt(*args: str) -> str:
    out = StringIO()
    call_command("reencrypt_pii", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def old_customers(settings) -> list[Customer]:
    settings.PII_KEYS = [OLD_KEY]
    customers = [
        customer_get_or_create(
            name="张三丰",
            phone="13800138000",
            email="zsf@example.com",
            address="上海市徐汇区漕溪北路88号",
        ),
        customer_get_or_create(name="李四", phone="13900139000"),
        customer_get_or_create(name="Wang Wu", email="wang.wu@example.com"),
    ]
    settings.PII_KEYS = [NEW_KEY, OLD_KEY]
    return customers


def test_command_discovers_encrypted_columns_from_the_app_registry():
    found = dict(encrypted_columns())

    assert found[Customer] == list(PII_COLUMNS)


def test_rows_under_the_old_key_stay_readable_after_a_new_key_is_added(
    old_customers,
):
    """R-SEC-2: MultiFernet reads tokens written under any configured key."""
    fresh = Customer.objects.get(pk=old_customers[0].pk)

    assert fresh.name == "张三丰"
    assert fresh.address == "上海市徐汇区漕溪北路88号"
    assert not crypto.is_current(raw_values()[fresh.pk][0])


def test_settings_change_clears_the_cached_keys(settings, old_customers):
    settings.PII_KEYS = [NEW_KEY]

    with pytest.raises(crypto.DecryptionError):
        Customer.objects.get(pk=old_customers[0].pk)


def test_reencrypt_moves_every_value_to_the_newest_key(settings, old_customers):
    """R-SEC-2: after the command, the old key can be dropped."""
    output = reencrypt("--batch-size", "2")

    new_only = Fernet(NEW_KEY.encode())
    old_only = Fernet(OLD_KEY.encode())
    stored = [value for row in raw_values().values() for value in row if value]
    assert len(stored) == 8
    for token in stored:
        new_only.decrypt(token.encode())
        with pytest.raises(InvalidToken):
            old_only.decrypt(token.encode())
    assert "Re-encrypted 8 values; 0 already under the newest key." in output
    assert "cases.Customer: 2/3 rows checked" in output
    assert "cases.Customer: 3/3 rows checked" in output
    settings.PII_KEYS = [NEW_KEY]
    assert Customer.objects.get(pk=old_customers[0].pk).name == "张三丰"


def test_reencrypt_keeps_blind_indexes(old_customers):
    """The blind index key is separate, so look-ups work before and after."""
    before = list(
        Customer.objects.order_by("id").values_list("phone_index", "email_index")
    )

    reencrypt()

    after = list(
        Customer.objects.order_by("id").values_list("phone_index", "email_index")
    )
    assert after == before
    assert customer_find_by_phone("+86 139 0013 9000") == old_customers[1]


def test_reencrypt_again_changes_nothing(old_customers):
    reencrypt()
    before = raw_values()

    output = reencrypt()

    assert raw_values() == before
    assert "Re-encrypted 0 values; 8 already under the newest key." in output


def test_reencrypt_skips_values_already_current(old_customers):
    """Interrupted runs resume: rows already rewritten are left alone."""
    Customer.objects.filter(pk=old_customers[1].pk).update(name="李四")
    current_name = raw_values()[old_customers[1].pk][0]

    output = reencrypt()

    assert raw_values()[old_customers[1].pk][0] == current_name
    assert "Re-encrypted 7 values; 1 already under the newest key." in output


def test_dry_run_writes_nothing(old_customers):
    before = raw_values()

    output = reencrypt("--dry-run")

    assert raw_values() == before
    assert "Would re-encrypt 8 values" in output


def test_undecryptable_value_is_reported_and_others_are_rotated(old_customers):
    broken = old_customers[2]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_customer SET name = %s WHERE id = %s",
            [Fernet(Fernet.generate_key()).encrypt(b"x").decode(), broken.pk],
        )

    with pytest.raises(CommandError, match=rf"cases\.Customer pk={broken.pk}$"):
        reencrypt()

    rotated = raw_values()[old_customers[0].pk]
    assert all(crypto.is_current(value) for value in rotated)
    assert not crypto.is_current(raw_values()[broken.pk][2])


def test_batch_size_must_be_positive():
    with pytest.raises(CommandError, match="at least 1"):
        reencrypt("--batch-size", "0")


def test_help_explains_blind_index_key_rotation():
    parser = Command().create_parser("kesu", "reencrypt_pii")

    text = parser.format_help()

    assert "KESU_BLIND_INDEX_KEY" in text
    assert "--dry-run" in text
    assert "--batch-size" in text
