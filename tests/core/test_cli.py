"""`kesu genkeys` prints secrets that settings accept as they are."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet
from django.core.management import call_command

from tests.core.conftest import kesu

SECRETS = ["KESU_SECRET_KEY", "KESU_PII_KEYS", "KESU_BLIND_INDEX_KEY"]


def _parse(output: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in output.splitlines())


def test_genkeys_prints_one_env_line_per_secret(production_env):
    result = kesu("genkeys", env=production_env)

    assert list(_parse(result.stdout)) == SECRETS


def test_genkeys_pii_key_is_a_working_fernet_key(production_env):
    keys = _parse(kesu("genkeys", env=production_env).stdout)

    fernet = Fernet(keys["KESU_PII_KEYS"].encode())

    assert fernet.decrypt(fernet.encrypt(b"13800138000")) == b"13800138000"
    assert len(base64.urlsafe_b64decode(keys["KESU_PII_KEYS"])) == 32


def test_genkeys_values_are_long_and_need_no_quoting(production_env):
    keys = _parse(kesu("genkeys", env=production_env).stdout)

    assert len(keys["KESU_SECRET_KEY"]) >= 50
    assert len(keys["KESU_BLIND_INDEX_KEY"]) >= 32
    for value in keys.values():
        assert value.replace("-", "").replace("_", "").rstrip("=").isalnum()


def test_genkeys_gives_new_keys_each_run(production_env):
    first = kesu("genkeys", env=production_env).stdout

    second = kesu("genkeys", env=production_env).stdout

    assert set(_parse(first).values()).isdisjoint(_parse(second).values())


def test_genkeys_runs_while_production_settings_lack_the_keys(production_env):
    """The settings error for missing keys points at `kesu genkeys`: it must run."""
    env = {k: v for k, v in production_env.items() if k not in SECRETS}

    result = kesu("genkeys", env=env)

    assert list(_parse(result.stdout)) == SECRETS


def test_genkeys_management_command_prints_the_same_lines(capsys):
    call_command("genkeys")

    assert list(_parse(capsys.readouterr().out)) == SECRETS
