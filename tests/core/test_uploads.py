"""File types by their first bytes, never by name (issue 5 "Bad input": a script named .jpg)."""

import pytest

from jiannuo.core.uploads import IMAGES, JPEG, PDF, PNG, sniff


@pytest.mark.parametrize(
    ("head", "allowed", "expected"),
    [
        (b"%PDF-1.7\n", None, PDF),
        (b"\xff\xd8\xff\xe0JFIF", None, JPEG),
        (b"\x89PNG\r\n\x1a\n\0\0", None, PNG),
        (b"#!/bin/sh\nrm -rf /", None, None),  # a script, whatever its name
        (b"<html><script>", None, None),
        (b"", None, None),
        (b"%PDF-1.7\n", IMAGES, None),  # a PDF where only photos are accepted
        (b"\xff\xd8\xff\xe0JFIF", IMAGES, JPEG),
    ],
)
def test_sniff(head, allowed, expected):
    assert (sniff(head) if allowed is None else sniff(head, allowed)) == expected
