"""Errors services raise; the API and the pages turn them into the one error format."""

from typing import Any


class ServiceError(Exception):
    """A request the service refuses, with a code clients can branch on."""

    code = "invalid"
    status = 400

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None,
                 code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "fields": self.fields}


class ValidationFailed(ServiceError):
    code = "invalid"
    status = 400


class PermissionDenied(ServiceError):
    code = "permission_denied"
    status = 403


class NotFound(ServiceError):
    code = "not_found"
    status = 404


class Conflict(ServiceError):
    code = "conflict"
    status = 409


class QuotaExceeded(ServiceError):
    code = "quota_exceeded"
    status = 429


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    """The one error shape, for responses built outside DRF's exception handler."""
    return {"error": {"code": code, "message": message, "fields": fields or {}}}
