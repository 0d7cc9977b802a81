"""The JSON API, /api/v1/: the same services and permissions as the pages."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import NinjaAPI

from jiannuo.core.errors import ServiceError

from .auth import AUTH

api = NinjaAPI(
    title="Jiannuo API",
    version="1",
    description="践诺 Jiannuo — village cadres' office pledges and accountability.",
    auth=AUTH,
    urls_namespace="api",
)


@api.exception_handler(ServiceError)
def service_error(request, exc: ServiceError):
    return api.create_response(request, exc.as_json(), status=exc.status)


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return api.create_response(request, {"code": "forbidden", "message": str(exc)}, status=403)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"code": "not_found", "message": "Not found"}, status=404)


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

    api.add_router("/", organisation)
    api.add_router("/", opinions)
    api.add_router("/", pledges)
    api.add_router("/", signing)
    api.add_router("/", bulletin)
    api.add_router("/", supervision)
    api.add_router("/", evaluation)
    api.add_router("/", accountability)
    api.add_router("/", reports)


_register()
