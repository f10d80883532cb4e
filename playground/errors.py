"""Exception hierarchy. Every message is safe to show a user: no API key ever goes in one."""

from __future__ import annotations

from typing import Any


class PlaygroundError(Exception):
    """Base class of every error this package raises on purpose."""


class MissingAuthError(PlaygroundError):
    def __init__(self, provider: str = "Anthropic", env_var: str = "ANTHROPIC_API_KEY") -> None:
        super().__init__(
            f"No API key for {provider}. Give one in any of three ways: pass api_key=..., "
            f"set the {env_var} environment variable, or put {env_var}=... in a .env file."
        )


class ParameterError(PlaygroundError, ValueError):
    """A parameter was refused before any request. ``param`` names it; the message says the fix."""

    def __init__(self, param: str, message: str) -> None:
        self.param = param
        super().__init__(f"{param}: {message}")


class MediaError(ParameterError):
    """An uploaded file was refused (unknown type, too large, unreadable)."""


class APIStatusError(PlaygroundError):
    """The API answered with an error status (or an ``error`` event mid-stream)."""

    status: int = 0

    def __init__(
        self,
        status: int,
        error_type: str | None,
        message: str,
        request_id: str | None = None,
        body: Any = None,
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.error_type = error_type or "api_error"
        self.message = message
        self.request_id = request_id
        self.body = body
        self.retry_after = retry_after
        text = f"{status} {self.error_type}: {message}"
        if request_id:
            text += f" (request-id {request_id})"
        super().__init__(text)


class BadRequestError(APIStatusError):
    status = 400


class AuthenticationError(APIStatusError):
    status = 401


class PermissionDeniedError(APIStatusError):
    status = 403


class NotFoundError(APIStatusError):
    status = 404


class RequestTooLargeError(APIStatusError):
    status = 413


class RateLimitError(APIStatusError):
    status = 429


class InternalServerError(APIStatusError):
    status = 500


class OverloadedError(APIStatusError):
    status = 529


_BY_STATUS: dict[int, type[APIStatusError]] = {
    cls.status: cls
    for cls in (
        BadRequestError,
        AuthenticationError,
        PermissionDeniedError,
        NotFoundError,
        RequestTooLargeError,
        RateLimitError,
        InternalServerError,
        OverloadedError,
    )
}


def error_class_for_status(status: int) -> type[APIStatusError]:
    """The typed subclass for an HTTP status (other 5xx -> InternalServerError)."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if status >= 500:
        return InternalServerError
    return APIStatusError


class StreamError(PlaygroundError):
    """The stream broke after the response started: an ``error`` event, a cut connection,
    malformed data, or no ``message_stop``. Whatever was yielded before stays valid, but the
    output is partial."""

    def __init__(self, message: str, error_type: str | None = None, request_id: str | None = None) -> None:
        self.error_type = error_type
        self.request_id = request_id
        self.partial = True
        text = f"stream interrupted: {message}"
        if error_type:
            text = f"stream interrupted ({error_type}): {message}"
        if request_id:
            text += f" (request-id {request_id})"
        super().__init__(text + " — the output above is partial.")


class APIConnectionError(PlaygroundError):
    """No response: DNS, refused connection, reset before the first byte, TLS."""


class APITimeoutError(APIConnectionError):
    """Connecting, or waiting for the next chunk, took longer than ``timeout``."""


class BlockedAddressError(PlaygroundError):
    """A custom base URL points at a private or loopback address and the guard is on."""


class RedirectError(PlaygroundError):
    """The server answered with a redirect (3xx). The Messages and OpenAI APIs never redirect, so
    the providers do not follow one (a redirect could lead past the private-host guard)."""

    def __init__(self, url: str, status: int, location: str | None, message: str | None = None) -> None:
        self.url, self.status, self.location = url, status, location
        where = f"to {location}" if location else "without a Location"
        super().__init__(message or f"{url} answered HTTP {status}, a redirect {where}. The API does not redirect, "
                         "so it was not followed; if that address is the real endpoint, use it as the base URL.")


# Added by the provider engineer: a stall mid-stream is both a stream error (output partial)
# and a timeout, so either `except` clause catches it.
class StreamTimeoutError(StreamError, APITimeoutError):
    """No chunk arrived within ``timeout`` after the stream started; the output is partial."""
