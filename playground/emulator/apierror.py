"""The one exception the emulator raises for a refused request, rendered in the real shape."""

from __future__ import annotations

ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


class ApiError(Exception):
    """An error response: ``status``, the API's ``error.type`` and a message safe to show.

    ``param`` is the JSON path the message is about (used by the OpenAI-compatible shape);
    ``details`` the optional machine-readable ``error.details`` (e.g. ``{"error_code": "file_expired"}``);
    ``error_code`` is a shorthand for ``details={"error_code": ...}``.
    """

    def __init__(self, status: int, message: str, error_type: str | None = None, *,
                 param: str | None = None, headers: dict[str, str] | None = None,
                 details: dict | None = None, error_code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_type = error_type or ERROR_TYPES.get(status, "api_error")
        self.param = param
        self.headers = headers or {}
        self.details = {**(details or {}), "error_code": error_code} if error_code else details

    def body(self, request_id: str) -> dict:
        """``{"type": "error", "error": {...}, "request_id": ...}`` like the real API."""
        error: dict = {"type": self.error_type, "message": self.message}
        if self.details:
            error["details"] = self.details
        return {"type": "error", "error": error, "request_id": request_id}


def invalid(message: str, param: str | None = None) -> ApiError:
    """A 400 ``invalid_request_error``."""
    return ApiError(400, message, param=param)
