"""The phone ballot's own lane: ``POST /api/v1/evaluation/rounds/<id>/ballots`` without the page stack.

At a voting meeting every phone sends its sheet within a few minutes, and the sheet needs none
of what the rest of the site needs: no session, no log-in, no CSRF token (the one-time code is
the credential), no messages, no page. So ``jiannuo.wsgi.application`` sends a *well-formed*
sheet here: a Django request, ``SecurityMiddleware``'s headers, the host check of
``ALLOWED_HOSTS``, the language of the request, the same ``services.ballot_cast`` and the same
JSON as the API (201 with an empty body; a refusal as ``{"code", "message", "details"}`` with its
status). Everything else — another path or method, a body that is not JSON or does not match
the API's ``BallotIn`` schema, a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` — goes on to the full
application, whose django-ninja operation serves the same contract, documents it in OpenAPI and
answers malformed bodies with its usual 422. ``tests/evaluation/test_intake.py`` holds the two
to the same answers.

Measured on the bench (docs/benchmarks.md): the full stack costs about 0.6 ms of CPU per
ballot in the process, this lane about 0.2 ms.
"""

from __future__ import annotations

import io
import json
import re

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpResponse, JsonResponse
from django.middleware.security import SecurityMiddleware
from django.utils import translation
from pydantic import ValidationError

from jiannuo.core.errors import ServiceError

from . import services
from .api import BallotIn

JSON = "application/json; charset=utf-8"  # django-ninja's content type
PATH = re.compile(r"/api/v1/evaluation/rounds/([1-9][0-9]{0,17})/ballots\Z")
KEY = "jiannuo.ballot"  # the parsed sheet, handed from the dispatcher to the lane in environ


def cast(request) -> HttpResponse:
    request.get_host()  # DisallowedHost → 400, as CommonMiddleware does for every other request
    round_id, sheet = request.META[KEY]
    with translation.override(translation.get_language_from_request(request)):
        try:
            services.ballot_cast(code=sheet.code, choices=sheet.choices, round_id=round_id)
        except ServiceError as exc:
            return JsonResponse(exc.as_json(), status=exc.status, content_type=JSON)
    return HttpResponse(status=201, content_type=JSON)


class Lane(WSGIHandler):
    """Django's WSGI handler (request objects, signals that recycle database connections,
    exception responses, logging of 4xx/5xx) with one view and no ``settings.MIDDLEWARE``."""

    def load_middleware(self, is_async=False):
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        view = convert_exception_to_response(cast)
        self._middleware_chain = convert_exception_to_response(SecurityMiddleware(view))


def _sheet(environ):
    """``BallotIn`` from the body, or ``None`` (then the full application answers). The body is
    put back for whoever reads it next."""
    if not environ.get("CONTENT_TYPE", "").startswith("application/json"):
        return None
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if not 0 < length <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        return None
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    try:
        return BallotIn.model_validate(json.loads(body))
    except (ValueError, ValidationError):  # not JSON, not UTF-8, not a sheet
        return None


def dispatch(application):
    """Wrap the project's WSGI application so that well-formed phone ballots take the lane."""
    lane = Lane()

    def app(environ, start_response):
        if environ.get("REQUEST_METHOD") == "POST":
            match = PATH.match(environ.get("PATH_INFO", ""))
            if match and (sheet := _sheet(environ)) is not None:
                environ[KEY] = (int(match[1]), sheet)
                return lane(environ, start_response)
        return application(environ, start_response)

    return app
