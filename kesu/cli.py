"""The `kesu` console script: Django's management commands plus Kesu's own."""

from __future__ import annotations

import os
import sys


def main() -> None:
    args = sys.argv[1:]
    if args[:1] == ["genkeys"]:
        # With KESU_DEBUG=0 and no keys yet, settings refuse to load, so Django could
        # not even find this command; the keys are what that error message asks for.
        from kesu.core.management.commands.genkeys import generate_keys

        for name, value in generate_keys().items():
            print(f"{name}={value}")
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kesu.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kesu", *args])


if __name__ == "__main__":
    main()
