"""Values every page template may use."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def kesu(request: HttpRequest) -> dict[str, Any]:
    return {"kesu_version": "0.1.0"}
