"""What an uploaded file really is, by its first bytes — never by its name or declared type
(a script named .jpg is refused), and how large it may be. Shared by scans of originals, evidence
and poster photos."""

from __future__ import annotations

from django.conf import settings

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
MAGIC = {b"%PDF-": PDF, b"\xff\xd8\xff": JPEG, b"\x89PNG\r\n\x1a\n": PNG}
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png"}
DOCUMENTS = (PDF, JPEG, PNG)
IMAGES = (JPEG, PNG)


def sniff(head: bytes, allowed: tuple[str, ...] = DOCUMENTS) -> str | None:
    """The content type ``head`` starts with, if it is one of ``allowed``; else ``None``."""
    for magic, content_type in MAGIC.items():
        if head.startswith(magic):
            return content_type if content_type in allowed else None
    return None


def max_bytes() -> int:
    """The largest scan, evidence file or photo accepted: ``UPLOAD_MAX_BYTES`` (10 MiB)."""
    return settings.UPLOAD_MAX_BYTES


def max_mb() -> int:
    """``max_bytes()`` in whole MiB, for messages."""
    return max(1, settings.UPLOAD_MAX_BYTES // (1024 * 1024))
