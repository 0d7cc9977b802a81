"""Which address is the client's (issue #12.4: rate limits count villagers, not the proxy)."""

import pytest
from django.test import RequestFactory

from jiannuo.core.clients import client_address, parse_networks


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("198.51.100.1", "", "198.51.100.1"),  # direct
        ("198.51.100.1", "203.0.113.5", "198.51.100.1"),  # not a proxy: header ignored
        ("127.0.0.1", "", "127.0.0.1"),  # the proxy itself
        ("127.0.0.1", "203.0.113.5", "203.0.113.5"),
        ("127.0.0.1", "6.6.6.6, 203.0.113.5", "203.0.113.5"),  # left part is the client's
        ("127.0.0.1", "203.0.113.5, 10.0.0.2", "203.0.113.5"),  # two trusted hops
        ("127.0.0.1", "10.0.0.3, 10.0.0.2", "10.0.0.3"),  # only proxies: the farthest one
        ("127.0.0.1", "nonsense, 203.0.113.5", "203.0.113.5"),
        ("127.0.0.1", "203.0.113.5, nonsense", "127.0.0.1"),
        ("::1", "2001:db8::7", "2001:db8::7"),
    ],
)
def test_client_address(settings, remote, forwarded, expected):
    settings.TRUSTED_PROXIES = parse_networks("127.0.0.1, ::1, 10.0.0.0/8")
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request) == expected


def test_a_malformed_setting_is_refused():
    with pytest.raises(ValueError):
        parse_networks("127.0.0.1, not-an-address")
