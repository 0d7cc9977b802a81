"""The JSON API, /api/v1/: the same services and permissions as the pages.

Every refusal has one shape, ``ErrorOut`` (see ``errors.py``), and every operation declares the
error statuses it can answer, so the OpenAPI document tells a client what to expect.
"""

from django.core.exceptions import PermissionDenied
from django.db import DataError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from jiannuo.core.errors import ServiceError

from .auth import AUTH
from .errors import ERROR_STATUSES, READ_STATUSES, WRITE_STATUSES, ErrorOut, body, validation_fields

DESCRIPTION = """践诺 Jiannuo — village cadres' office pledges and accountability
(村干部任职承诺和责任追究制).

Authenticate with `Authorization: Bearer jn_…` (a token from the 账户与安全 page); a browser
session also works, and then every write must carry the `X-CSRFToken` header. Lists are
paginated with `limit` and `offset` and answer `{"items": […], "count": n}`. Every error answers
`{"code", "message", "fields", "details"}`. The integrator's guide is docs/api.md.
"""

api = NinjaAPI(
    title="Jiannuo API",
    version="1",
    description=DESCRIPTION,
    auth=AUTH,
    urls_namespace="api",
)


def _error(request, status, code, message, **kw):
    return api.create_response(request, body(code, message, **kw), status=status)


@api.exception_handler(ServiceError)
def service_error(request, exc: ServiceError):
    return api.create_response(request, exc.as_json(), status=exc.status)


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return _error(request, 403, "forbidden", str(exc) or _("You may not do this here."))


@api.exception_handler(Http404)
def not_found(request, exc):
    return _error(request, 404, "not_found", _("Not found (or not within your units)."))


@api.exception_handler(ValidationError)
def invalid_input(request, exc: ValidationError):
    return _error(
        request,
        422,
        "invalid_input",
        _("The input does not match the schema."),
        fields=validation_fields(exc.errors),
    )


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def out_of_range(request, exc):
    """A number too large for the database (an id or a year of 20 digits): the input's fault."""
    return _error(request, 422, "out_of_range", _("A number in the request is out of range."))


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    if isinstance(exc, AuthenticationError):
        return _error(request, 401, "unauthenticated", _("Log in or send a valid API token."))
    messages = {
        403: ("forbidden", _("You may not do this here.")),
        404: ("not_found", _("Not found (or not within your units).")),
        429: ("rate_limited", _("Too many requests; wait and try again.")),
    }
    code, message = messages.get(exc.status_code, ("invalid", str(exc)))
    return _error(request, exc.status_code, code, message)


def _register():
    from jiannuo.accountability.api import router as accountability
    from jiannuo.bulletin.api import router as bulletin
    from jiannuo.evaluation.api import router as evaluation
    from jiannuo.opinions.api import router as opinions
    from jiannuo.organisation.api import router as organisation
    from jiannuo.pledges.api import router as pledges
    from jiannuo.reports.api import router as reports
    from jiannuo.signing.api import router as signing
    from jiannuo.supervision.api import router as supervision

    for router in (
        organisation,
        opinions,
        pledges,
        signing,
        bulletin,
        supervision,
        evaluation,
        accountability,
        reports,
    ):
        _declare_errors(router)
        api.add_router("/", router)


def _declare_errors(router):
    """Add ``ErrorOut`` for the error statuses to every operation that does not name its own:
    reads may answer 400/401/403/404/422, writes also 409 (stale version) and 429."""
    for path_view in router.path_operations.values():
        for op in path_view.operations:
            writes = bool(set(op.methods) - {"GET", "HEAD", "OPTIONS"})
            statuses = WRITE_STATUSES if writes else READ_STATUSES
            for status in statuses:
                if status == 401 and op.auth_param is None:  # a public operation
                    continue
                if status not in op.response_models:
                    op.response_models[status] = op._create_response_model(ErrorOut)


_register()

__all__ = ["ERROR_STATUSES", "api"]
