"""htmx helpers shared by every app's views (see STYLE.md §5)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def render_page_or_partial(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    partials: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render the whole page, or only the partial whose id htmx targets.

    `partials` maps an element id (the `HX-Target` header) to a partial name
    defined in `template` with `{% partialdef %}`.
    """
    target = request.headers.get("HX-Target", "") if _is_htmx(request) else ""
    name = (partials or {}).get(target)
    chosen = f"{template}#{name}" if name else template
    response = render(request, chosen, context, status=status)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


def trigger_toast(response: HttpResponse, message: str) -> HttpResponse:
    """Ask the page to show a short message once the swap is done."""
    response["HX-Trigger"] = json.dumps({"toast": str(message)}, ensure_ascii=False)
    return response


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"
