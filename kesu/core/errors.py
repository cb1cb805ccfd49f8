"""Domain errors raised by services; views and the API translate them to responses."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the request; `code` is stable, `message` human."""

    code = "domain_error"

    def __init__(
        self, message: str, *, code: str | None = None, field: str | None = None
    ):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class NotFound(DomainError):
    """The object does not exist or lies outside the user's scope (never leak which)."""

    code = "not_found"


class PermissionDenied(DomainError):
    """The user may see the object but not perform this action on it."""

    code = "permission_denied"


class InvalidInput(DomainError):
    """A field-level problem with the input; `field` names it."""

    code = "invalid"


class Conflict(DomainError):
    """The request conflicts with the object's current state (HTTP 409)."""

    code = "conflict"
