"""One JSON error shape for every API failure.

    {"error": {"code": "…", "message": "…", "field": "…" | null, "details": […]}}

`code` is stable and machine-readable (a domain error's code, e.g. the workflow guard
``approval_required``); `message` is for people, in the request's language; `field`
names the offending input; `details` lists every validation problem with its location.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.core.signals import got_request_exception
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import (
    AuthenticationError,
    HttpError,
    ValidationError,
    ValidationErrorContext,
)

from kesu.core.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
)

DOMAIN_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (PermissionDenied, 403),
    (InvalidInput, 422),
    (Conflict, 409),
)

logger = logging.getLogger("django.request")

# How many leading `loc` parts are not the field itself: the source, plus the
# parameter name for bodies (`body.payload.store`); other sources are flattened.
_LOCATION_PREFIX = {"body": 2}


class KesuNinjaAPI(NinjaAPI):
    """NinjaAPI whose validation errors name nested query fields as sent.

    Ninja flattens `Query[Schema]` parameters only for exact locations, so an error
    inside a list (`?status=bogus`) would carry the schema's parameter name
    (`params.status.0`); here the longest flattened prefix is replaced instead.
    """

    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext[Any]]
    ) -> ValidationError:
        errors: list[dict[str, Any]] = []
        for context in error_contexts:
            model = context.model
            flattened = model.__ninja_flatten_map_reverse__
            for error in context.pydantic_validation_error.errors(
                include_url=False, include_input=False, include_context=False
            ):
                loc = tuple(error["loc"])
                for size in range(len(loc), 0, -1):
                    if loc[:size] in flattened:
                        loc = tuple(flattened[loc[:size]]) + loc[size:]
                        break
                errors.append({**error, "loc": (model.__ninja_param_source__, *loc)})
        return ValidationError(errors)


def envelope(
    *,
    code: str,
    message: str,
    field: str | None = None,
    details: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The error body every API failure returns."""
    return {
        "error": {
            "code": code,
            "message": message,
            "field": field,
            "details": details or [],
        }
    }


def error_response(
    api: NinjaAPI, request: HttpRequest, *, status: int, **error: Any
) -> HttpResponse:
    """The error envelope as a response."""
    return api.create_response(request, envelope(**error), status=status)


def unknown_path(request: HttpRequest, path: str = "") -> JsonResponse:
    """404 in the envelope for paths below /api/v1/ that name no endpoint."""
    body = envelope(code="not_found", message=_("No such API endpoint."))
    return JsonResponse(body, status=404)


def _detail(error: dict[str, Any]) -> dict[str, Any]:
    loc = [str(part) for part in error.get("loc", ())]
    location = loc[0] if loc else "body"
    field = ".".join(loc[_LOCATION_PREFIX.get(location, 1) :]) or None
    return {
        "field": field,
        "location": location,
        "message": error.get("msg", ""),
        "type": error.get("type", ""),
    }


def install(api: NinjaAPI) -> None:
    """Register the handlers that turn exceptions into the error envelope."""

    def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        status = next(
            (code for cls, code in DOMAIN_STATUS if isinstance(exc, cls)), 400
        )
        return error_response(
            api,
            request,
            status=status,
            code=exc.code,
            message=exc.message,
            field=exc.field,
        )

    def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        details = [_detail(error) for error in exc.errors]
        first = details[0] if details else {"field": None}
        return error_response(
            api,
            request,
            status=422,
            code="validation_error",
            message=_("The request is not valid: see details."),
            field=first["field"],
            details=details,
        )

    def on_authentication_error(
        request: HttpRequest, exc: AuthenticationError
    ) -> HttpResponse:
        response = error_response(
            api,
            request,
            status=401,
            code="not_authenticated",
            message=_("Send a valid API token: Authorization: Bearer <token>."),
        )
        # RFC 6750 §3.1: a token was sent but is unknown, revoked or malformed.
        sent = "Authorization" in request.headers
        challenge = 'Bearer realm="kesu"'
        response["WWW-Authenticate"] = (
            challenge + ', error="invalid_token"' if sent else challenge
        )
        return response

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return error_response(
            api,
            request,
            status=exc.status_code,
            code=HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_"),
            message=str(exc),
        )

    def on_http404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(
            api, request, status=404, code="not_found", message=_("Not found.")
        )

    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        # What Django does for an uncaught exception (error log, mail to ADMINS,
        # the test client re-raising), but the client still gets the envelope.
        got_request_exception.send(sender=None, request=request)
        logger.error(
            "Internal Server Error: %s",
            request.path,
            exc_info=exc,
            extra={"status_code": 500, "request": request},
        )
        return error_response(
            api,
            request,
            status=500,
            code="server_error",
            message=_("Something went wrong on our side; it has been logged."),
        )

    handlers: dict[type[Exception], Callable[[HttpRequest, Any], HttpResponse]] = {
        Exception: on_unexpected,
        DomainError: on_domain_error,
        ValidationError: on_validation_error,
        AuthenticationError: on_authentication_error,
        HttpError: on_http_error,
        Http404: on_http404,
    }
    for exception, handler in handlers.items():
        api.add_exception_handler(exception, handler)
