"""A Content-Security-Policy on every page (issue #12.4): scripts only from our own static
files (htmx and ECharts are local), no inline script or inline event handler anywhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

import jiannuo

pytestmark = pytest.mark.django_db

TEMPLATES = sorted(Path(jiannuo.__file__).parent.glob("**/templates/**/*.html"))
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
HANDLER = re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.I)


def policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {
        d.split()[0]: d.split()[1:] for d in (p.strip() for p in header.split(";")) if d.strip()
    }


def test_the_templates_hold_no_inline_script_or_handler():
    assert len(TEMPLATES) > 50
    found = [
        f"{t.relative_to(t.parents[2])}: {m.group(0).strip()}"
        for t in TEMPLATES
        for m in (*INLINE_SCRIPT.finditer(t.read_text()), *HANDLER.finditer(t.read_text()))
        if "nonce=" not in m.group(0)
    ]
    assert not found, "\n".join(found)


def test_every_kind_of_page_carries_the_policy(tree, cast, client):
    pages = ["/", "/accounts/login/", f"/bulletin/{tree.a1.code}/", "/api/v1/docs"]
    anonymous = [client.get(url) for url in pages]
    c = Client()
    c.force_login(cast.district)
    logged_in = [
        c.get(url)
        for url in (
            "/todo/",
            "/reports/",
            "/supervision/",
            f"/org/units/{tree.a1.pk}/",
            "/no-such-page/",  # a 404 too
        )
    ]
    for r in anonymous + logged_in:
        assert r.status_code in (200, 302, 404), r
        p = policy(r)
        assert p["script-src"] == ["'self'"] or (
            p["script-src"][0] == "'self'"
            and all(s.startswith("'nonce-") for s in p["script-src"][1:])
        )
        assert "'unsafe-inline'" not in p["script-src"] and "'unsafe-eval'" not in p["script-src"]
        assert p["object-src"] == ["'none'"] and p["frame-ancestors"] == ["'none'"]
        assert p["default-src"] == ["'self'"]
        if r.get("Content-Type", "").startswith("text/html"):
            html = r.content.decode()
            assert not INLINE_SCRIPT.search(html), r.request["PATH_INFO"]
            assert not HANDLER.search(html), r.request["PATH_INFO"]
            assert "//cdn" not in html and "https://" not in " ".join(
                re.findall(r'<script[^>]*src="([^"]+)"', html)
            )
