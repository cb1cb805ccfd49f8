"""R-SEC-6: production settings pass Django's deployment checks, or refuse to load."""

from __future__ import annotations

import pytest

from tests.core.conftest import kesu


def test_production_settings_pass_deploy_checks_without_warnings(production_env):
    env = {**production_env, "KESU_HTTPS": "1"}

    result = kesu("check", "--deploy", "--fail-level", "WARNING", env=env, check=False)

    assert result.returncode == 0, result.stdout + result.stderr


def test_deploy_check_warns_when_https_is_off(production_env):
    """Guards the check above: it does fail on insecure cookie settings."""
    result = kesu(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env=production_env,
        check=False,
    )

    assert result.returncode != 0
    assert "security.W012" in result.stderr


@pytest.mark.parametrize(
    "missing", ["KESU_SECRET_KEY", "KESU_PII_KEYS", "KESU_BLIND_INDEX_KEY"]
)
def test_production_settings_name_a_missing_secret(production_env, missing):
    env = {k: v for k, v in production_env.items() if k != missing}

    result = kesu("check", env=env, check=False)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr.splitlines()[-1]
