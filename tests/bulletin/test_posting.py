"""Recording the poster on the village board (seed §三.4: the pledges are posted on the
村务公开栏) — permissions, the photo check by magic bytes, the audit row."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from jiannuo.bulletin import services
from jiannuo.bulletin.models import PosterPosting
from jiannuo.core.errors import ServiceError
from jiannuo.core.models import AuditEntry

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def upload(data, name="board.jpg", ctype="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=ctype)


def test_branch_records_posting_with_photo(cast, tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    posting = services.poster_posting_record(
        actor=cast.branch,
        village=tree.a1,
        year=2026,
        posted_on=date(2026, 3, 21),
        photo=upload(PNG, "board.png"),
    )
    assert posting.photo_type == "image/png" and posting.photo.name.endswith(".png")
    assert AuditEntry.objects.filter(action="poster_posting.record").count() == 1


def test_script_named_jpg_is_refused(cast, tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(ServiceError) as err:
        services.poster_posting_record(
            actor=cast.branch,
            village=tree.a1,
            year=2026,
            posted_on=date(2026, 3, 21),
            photo=upload(b"#!/bin/sh\nrm -rf /\n", "board.jpg"),
        )
    assert err.value.code == "photo_type"
    assert not PosterPosting.objects.exists()


def test_photo_size_limit(cast, tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.UPLOAD_MAX_BYTES = 4096  # the operator's limit (env UPLOAD_MAX_BYTES)
    big = JPEG + b"\x00" * 4096
    with pytest.raises(ServiceError) as err:
        services.poster_posting_record(
            actor=cast.branch,
            village=tree.a1,
            year=2026,
            posted_on=date(2026, 3, 21),
            photo=upload(big),
        )
    assert err.value.code == "photo_too_large"


def test_future_date_refused(cast, tree):
    with pytest.raises(ServiceError):
        services.poster_posting_record(
            actor=cast.branch,
            village=tree.a1,
            year=2026,
            posted_on=timezone.localdate() + timedelta(days=1),
        )


@pytest.mark.parametrize(
    "name,allowed",
    [
        ("branch", True),
        ("branch_a2", False),
        ("director", False),
        ("member", False),
        ("voter", False),
        ("secretary_b", False),
        ("outsider", False),
    ],
)
def test_permission_matrix(cast, tree, name, allowed):
    """Only the village's own branch secretary records the posting."""
    call = lambda: services.poster_posting_record(  # noqa: E731
        actor=getattr(cast, name), village=tree.a1, year=2026, posted_on=date(2026, 3, 21)
    )
    if allowed:
        assert call().pk
    else:
        with pytest.raises(PermissionDenied):
            call()


def test_posting_view(client, cast, tree, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    url = reverse("bulletin:posting", args=["SQ01"])
    assert client.get(url).status_code == 302  # log-in needed
    client.force_login(cast.branch_a2)
    assert client.get(url).status_code == 403
    client.force_login(cast.branch)
    response = client.post(
        url, {"year": "2026", "posted_on": "2026-03-21", "photo": upload(b"<?php echo 1; ?>")}
    )
    assert response.status_code == 400 and not PosterPosting.objects.exists()
    response = client.post(url, {"year": "2026", "posted_on": "2026-03-21", "photo": upload(JPEG)})
    assert response.status_code == 302
    assert PosterPosting.objects.get().photo_type == "image/jpeg"
    board = client.get(reverse("bulletin:village", args=["SQ01"])).content.decode()
    assert "2026-03-21" in board
