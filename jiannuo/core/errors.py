"""Errors raised by service functions; views and the API turn them into responses."""

from django.core.exceptions import PermissionDenied  # noqa: F401  (re-exported)
from django.utils.translation import gettext as _


class ServiceError(Exception):
    """A request that breaks a rule or a state guard: nothing was saved.

    ``message`` is for people (translated); ``code`` is stable for the API; ``details`` may
    list row-level problems (e.g. each bad row of an imported file).
    """

    status = 400

    def __init__(self, message, *, code="invalid", details=None):
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.details = details or []

    def as_json(self) -> dict:
        """The API's body for this refusal (``jiannuo.api.errors.ErrorOut``)."""
        return {
            "code": self.code,
            "message": str(self.message),
            "fields": {},
            "details": self.details,
        }


class ConflictError(ServiceError):
    """Someone else changed the object since it was read: reload, nothing was overwritten."""

    status = 409

    def __init__(self, message, *, code="conflict", details=None):
        super().__init__(message, code=code, details=details)


class Throttled(ServiceError):
    """Too many attempts from this client or at this target: try later (429)."""

    status = 429

    def __init__(self, message, *, code="too_many_attempts", details=None):
        super().__init__(message, code=code, details=details)


def check_version(current: int, expected, message) -> None:
    """Optimistic locking: ``expected`` is the version the user read (a form field or the API;
    ``None``: no check). A value that is not a version number is refused (400); a stale one is
    a ``ConflictError`` (409) with ``message`` and both versions in its details."""
    if expected is None:
        return
    try:
        expected = int(expected)
    except (TypeError, ValueError):
        raise ServiceError(
            _("The version number is malformed; reload the page."), code="version_malformed"
        ) from None
    if expected != current:
        raise ConflictError(
            message, details=[{"current_version": current, "your_version": expected}]
        )
