"""Errors raised by service functions; views and the API turn them into responses."""

from django.core.exceptions import PermissionDenied  # noqa: F401  (re-exported)


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
        """The API's body for this refusal."""
        return {"code": self.code, "message": str(self.message), "details": self.details}


class ConflictError(ServiceError):
    """Someone else changed the object since it was read: reload, nothing was overwritten."""

    status = 409

    def __init__(self, message, *, code="conflict", details=None):
        super().__init__(message, code=code, details=details)
