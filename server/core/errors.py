"""One error hierarchy: a stable code, an HTTP status and a message a person can act on (Vietnamese first)."""

from __future__ import annotations


class TgplError(Exception):
    """Base of every error tgpl reports to a person or a phone."""

    status = 500
    code = "500.1"

    def __init__(self, vi: str, en: str, *, code: str | None = None) -> None:
        super().__init__(en)
        self.vi = vi
        self.en = en
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        """Both languages, Vietnamese first, as shown on the phone."""
        return f"{self.vi} ({self.en})"


class BadRequest(TgplError):
    """The request is malformed: nothing was stored."""

    status = 400
    code = "400.1"


class Forbidden(TgplError):
    """The credential is unknown, revoked or not allowed here."""

    status = 403
    code = "403.1"


class NotFound(TgplError):
    """The form, version or file does not exist."""

    status = 404
    code = "404.1"


class MethodNotAllowed(TgplError):
    """The URL exists but not for this HTTP method."""

    status = 405
    code = "405.1"


class Conflict(TgplError):
    """The request contradicts what is stored (closed form, different XML under the same instanceID)."""

    status = 409
    code = "409.1"


class TooLarge(TgplError):
    """The body is over the configured size limit."""

    status = 413
    code = "413.1"


class FormInvalid(TgplError):
    """An XLSForm or XForm cannot be published as it is."""

    status = 422
    code = "422.1"


class DatabaseNotMigrated(TgplError):
    """The database schema is older than this code: migrations must run first."""

    status = 503
    code = "503.1"
