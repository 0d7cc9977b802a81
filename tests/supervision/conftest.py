"""Fixtures for the supervision step (§五.3): 柳树村's signed 2026 letters (tests.factories)
and small upload files."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import signed_year

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"\x00" * 64


def upload(content=JPEG, name="photo.jpg"):
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def year(tree, cast, system):
    return signed_year(tree, cast, system)


@pytest.fixture
def big_file(settings):
    """One byte over the operator's upload limit (env UPLOAD_MAX_BYTES, here 64 KiB)."""
    settings.UPLOAD_MAX_BYTES = 64 * 1024
    f = io.BytesIO(JPEG + b"\x00" * (64 * 1024 - len(JPEG) + 1))
    f.name = "huge.jpg"
    f.size = len(f.getvalue())
    return f
