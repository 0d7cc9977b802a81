"""Guards on what comes in, before any view reads it (issue #12.4 "hostile input").

- Text with control characters is refused (400) on every write, page or API: a name with a NUL
  or an ESC byte once stored made every roster export fail. Tab, line feed and carriage return
  are allowed (text areas). Excel imports refuse them per cell (core/excel.py).
- JSON nested deeper than ``MAX_JSON_DEPTH`` is refused (400) before anything parses it: Python's
  parser answers deep nesting with RecursionError, a server error. ``json_depth_guard`` wraps the
  WSGI application so that also the phone ballot lane (evaluation/intake.py), which parses its
  body before Django's middleware, never sees such a body.
"""

from __future__ import annotations

import io
import json
import re

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

MAX_JSON_DEPTH = 32
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def has_control(text: str) -> bool:
    return bool(CONTROL.search(text))


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text ``body`` nests arrays/objects deeper than ``limit`` (strings are
    skipped). Linear, no recursion; a body with few brackets is answered at C speed."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth, in_string, escaped = 0, False, False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


def _strings(value):
    """Every string in a parsed JSON value, keys included."""
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            yield v
        elif isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)


def _is_json(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower().endswith("json")


def _refuse(request, code: str, message: str):
    if request.path.startswith("/api/"):
        return JsonResponse({"code": code, "message": message, "details": []}, status=400)
    return render(request, "400.html", {"reason": message}, status=400)


class InputGuardMiddleware:
    """Refuses control characters in submitted text and over-nested JSON (400, nothing read)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in WRITE_METHODS:
            refused = self._check(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    def _check(self, request):
        control = _("Text may not contain control characters; nothing was saved.")
        if _is_json(request.content_type or ""):
            body = request.body
            if json_too_deep(body):
                return _refuse(request, "json_too_deep", _("The request is nested too deeply."))
            try:
                data = json.loads(body)
            except ValueError:
                return None  # the API answers malformed JSON itself
            if any(has_control(s) for s in _strings(data)):
                return _refuse(request, "control_characters", control)
            return None
        if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for _name, values in request.POST.lists():
                if any(has_control(_name) or has_control(v) for v in values):
                    return _refuse(request, "control_characters", control)
        return None


def json_depth_guard(application):
    """WSGI wrapper: a JSON body nested deeper than MAX_JSON_DEPTH gets a 400 before any part
    of the application (the ballot lane included) parses it; the body is put back otherwise."""

    def app(environ, start_response):
        if environ.get("REQUEST_METHOD") in WRITE_METHODS and _is_json(
            environ.get("CONTENT_TYPE", "")
        ):
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if 0 < length <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                body = environ["wsgi.input"].read(length)
                environ["wsgi.input"] = io.BytesIO(body)
                if json_too_deep(body):
                    # The API's error shape (docs/api.md); no language is active out here,
                    # and Chinese is the system's language.
                    payload = json.dumps(
                        {
                            "code": "json_too_deep",
                            "message": "请求的 JSON 嵌套层数过多。",
                            "fields": {},
                            "details": [],
                        },
                        ensure_ascii=False,
                    ).encode()
                    start_response(
                        "400 Bad Request",
                        [
                            ("Content-Type", "application/json"),
                            ("Content-Length", str(len(payload))),
                        ],
                    )
                    return [payload]
        return application(environ, start_response)

    return app
