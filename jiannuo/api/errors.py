"""One error shape for every refusal of /api/v1, documented on every operation.

``{"code": "…", "message": "…", "fields": {…}, "details": […]}``: ``code`` is stable and meant
for programs; ``message`` is for people, in Chinese (the request's language); ``fields`` maps an
input's location (``body.text``, ``query.year``) to what is wrong with it (422); ``details``
lists row-level problems (each bad row of an imported file) or the versions of a conflict (409).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from ninja import Schema

from jiannuo.core.errors import ServiceError


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}
    details: list[dict] = []


class CsrfFailed(ServiceError):
    """A session write without the session's CSRF token."""

    status = 403

    def __init__(self):
        super().__init__(
            _("The CSRF check failed: send the X-CSRFToken header, or use an API token."),
            code="csrf",
        )


# What each status means for a client; every operation declares these with ``ErrorOut``.
ERROR_STATUSES = {
    400: "The request breaks a rule or a state guard; nothing was saved.",
    401: "No valid API token or session.",
    403: "Your roles do not allow this here, or (session) the CSRF check failed.",
    404: "No such object within your units.",
    409: "Someone changed the object since you read it (stale ``version``); reload.",
    422: "The input does not match the schema; ``fields`` names each problem.",
    429: "Too many requests; wait and try again.",
}

READ_STATUSES = (400, 401, 403, 404, 422)
WRITE_STATUSES = (400, 401, 403, 404, 409, 422, 429)


def body(code: str, message, *, fields=None, details=None) -> dict:
    return {
        "code": code,
        "message": str(message),
        "fields": fields or {},
        "details": details or [],
    }


def validation_fields(errors) -> dict[str, list[str]]:
    """Pydantic's errors as ``{"body.data.text": ["Field required"]}``."""
    out: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(x) for x in error.get("loc", ()) if x not in ("data", "payload")]
        out.setdefault(".".join(loc) or "body", []).append(str(error.get("msg", "")))
    return out
