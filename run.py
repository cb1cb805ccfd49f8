#!/usr/bin/env python3
"""Set up and run Kesu with nothing but Python 3.11+ (standard library only).

python3 run.py start         install into ./.venv, migrate, load demo data, serve
python3 run.py test [ARGS]   install dev tools, then ruff, mypy and pytest ARGS
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
TYPED_PACKAGES = ["kesu/core", "kesu/cases"]

# Asked of Django inside the venv, so run.py itself needs no third-party import.
PROBE = """
import json
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import get_commands
from django.db import DatabaseError, connection
try:
    from kesu.demo.users import DEMO_USERS
except ImportError:
    DEMO_USERS = []
try:
    names = [user[0] for user in DEMO_USERS]
    users = get_user_model().objects.filter(username__in=names)
    existing = set(users.values_list("username", flat=True))
except DatabaseError:
    existing = set()
print(json.dumps({
    "migrated": "django_migrations" in connection.introspection.table_names(),
    "debug": settings.DEBUG,
    "bind": settings.KESU_BIND,
    "has_demo": "demo" in get_commands(),
    "demo_users": [list(user) for user in DEMO_USERS if user[0] in existing],
}))
"""


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - say so on older Pythons
        print("Kesu needs Python 3.11 or newer.", file=sys.stderr)
        return 2
    if argv[:1] == ["start"] and len(argv) == 1:
        return start()
    if argv[:1] == ["test"]:
        return test(argv[1:])
    print(__doc__, file=sys.stderr)
    return 2


def start() -> int:
    """Install, migrate, load demo data on a new database, then serve (foreground)."""
    if not ensure_venv(ROOT / "requirements" / "base.lock"):
        return 1
    state = probe()
    if state is None or not step("migrate", ["kesu", "migrate", "--noinput"]):
        return 1
    if not state["migrated"]:
        if not state["debug"]:
            # Demo users have published passwords: never create them in production.
            say("new database with KESU_DEBUG=0: not loading demo data")
        elif not state["has_demo"]:
            say("new database, but no `kesu demo` command yet: skipping demo data")
        elif not step("demo data", ["kesu", "demo"]):
            return 1
    # With DEBUG on, WhiteNoise serves straight from the apps' static folders.
    if not state["debug"] and not step(
        "collectstatic", ["kesu", "collectstatic", "--noinput"]
    ):
        return 1
    state = probe()  # again: the demo users exist only now
    if state is None:
        return 1
    print_welcome(state)
    kesu = str(BIN / "kesu")
    os.chdir(ROOT)
    os.execv(kesu, [kesu, "serve"])  # noqa: S606 - hand the terminal to the server
    return 0


def test(pytest_args: list[str]) -> int:
    """Lint, type-check and test; every step runs, any failure fails the whole."""
    if not ensure_venv(ROOT / "requirements" / "dev.lock"):
        return 1
    steps = [
        ("ruff check", ["ruff", "check", "."]),
        ("ruff format", ["ruff", "format", "--check", "."]),
        ("mypy", ["mypy", *TYPED_PACKAGES]),
        # tests/test_tooling.py repeats the three steps above for a bare `pytest`;
        # here they already ran, so deselect them (a later -m in ARGS overrides).
        ("pytest", ["pytest", "-m", "not tooling", *pytest_args]),
    ]
    results = [(name, timed_step(name, argv)) for name, argv in steps]
    say("summary")
    for name, (ok, seconds) in results:
        print(f"  {'ok  ' if ok else 'FAIL'}  {name:<12} {seconds:6.1f}s", flush=True)
    return 0 if all(ok for ok, _ in (result for _, result in results)) else 1


def ensure_venv(lock: Path) -> bool:
    """Create ./.venv and install the lock file, unless this exact lock is in."""
    python = BIN / "python"
    if not python.exists():
        say(f"creating virtual environment in {VENV}")
        try:
            venv.create(VENV, with_pip=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            shutil.rmtree(VENV, ignore_errors=True)
            print(
                f"Could not create {VENV} ({exc}). On Debian or Ubuntu, "
                "`apt install python3-venv` first.",
                file=sys.stderr,
            )
            return False
    stamp = VENV / f"kesu-{lock.stem}.sha256"
    digest = hashlib.sha256(
        lock.read_bytes() + (ROOT / "pyproject.toml").read_bytes()
    ).hexdigest()
    if stamp.exists() and stamp.read_text().strip() == digest:
        say(f"dependencies match {lock.relative_to(ROOT)}: nothing to install")
        return True
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check"]
    if not step(
        f"installing {lock.relative_to(ROOT)}",
        [*pip, "--require-hashes", "-r", str(lock)],
    ) or not step("installing kesu (editable)", [*pip, "--no-deps", "-e", "."]):
        return False
    stamp.write_text(digest + "\n")
    return True


def probe() -> dict[str, object] | None:
    """Settings and database state, asked of Django in the venv."""
    result = subprocess.run(
        [str(BIN / "kesu"), "shell", "-v", "0", "-c", PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        print(result.stdout + result.stderr, file=sys.stderr)
        return None
    state: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return state


def print_welcome(state: dict[str, object]) -> None:
    say(f"Kesu: open http://{state['bind']}/ (Ctrl+C stops it)")
    users = state["demo_users"]
    if not isinstance(users, list) or not users:
        return
    passwords = {password for _, password, _, _ in users}
    if len(passwords) > 1:
        print("  demo logins (username, password, role, name):")
        for username, password, role, name in users:
            print(f"    {username:<14} {password:<16} {role:<11} {name}")
        return
    print(f"  demo logins, all with password {passwords.pop()}:")
    by_role: dict[str, list[str]] = {}
    for username, _, role, name in users:
        by_role.setdefault(role, []).append(f"{username} ({name})")
    for role, logins in by_role.items():
        print(f"    {role:<11} {', '.join(logins)}")
    print(flush=True)


def step(name: str, argv: list[str]) -> bool:
    return timed_step(name, argv)[0]


def timed_step(name: str, argv: list[str]) -> tuple[bool, float]:
    """Run one command from the venv in the repo root; report and time it."""
    if not Path(argv[0]).is_absolute():
        argv = [str(BIN / argv[0]), *argv[1:]]
    say(f"{name}: {' '.join(argv)}")
    began = time.monotonic()
    code = subprocess.run(argv, cwd=ROOT).returncode
    seconds = time.monotonic() - began
    if code == 5 and name == "pytest":
        print("pytest collected no tests: that counts as a failure.", file=sys.stderr)
    if code != 0:
        print(f"==> {name} FAILED (exit {code}) after {seconds:.1f}s", flush=True)
    return code == 0, seconds


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
