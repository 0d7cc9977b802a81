"""The site's public address (``PUBLIC_BASE_URL``) in front of paths printed on paper.

A QR code or URL printed on an original is read years later by a phone that knows nothing of
the server it came from: it must be absolute (scheme and host). In production the address is a
required setting (``jiannuo doctor`` fails without it); the demo defaults to its own address.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def problem(base: str | None = None) -> str | None:
    """What is wrong with the public address, or ``None`` when it is usable."""
    base = settings.PUBLIC_BASE_URL if base is None else base
    if not base:
        return "PUBLIC_BASE_URL is not set"
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"PUBLIC_BASE_URL {base!r} is not an absolute http(s) address"
    if parts.query or parts.fragment:
        return f"PUBLIC_BASE_URL {base!r} must not carry a query or fragment"
    return None


def absolute(path: str) -> str:
    """``path`` (from ``reverse``) with the public address in front."""
    if error := problem():
        raise ImproperlyConfigured(error + ": printed links would have no host.")
    return settings.PUBLIC_BASE_URL.rstrip("/") + "/" + path.lstrip("/")
