"""The address of the person at the other end, for rate limits and throttles.

Behind a reverse proxy every request comes from the proxy's address; the villager's address is
in ``X-Forwarded-For``. That header is written by whoever sends the request, so it is read only
when the request comes from a trusted proxy (``TRUSTED_PROXIES``: addresses or networks, from
the environment, docs/settings.md). The header is then read from the right: each address added
by a trusted proxy is skipped, and the first one that is not trusted is the client. Anything a
client wrote further left is ignored, so a villager cannot pose as someone else.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def parse_networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """``"127.0.0.1, 10.0.0.0/8"`` → networks; raises ValueError on a malformed entry."""
    return [ipaddress.ip_network(p.strip(), strict=False) for p in text.split(",") if p.strip()]


def _ip(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(ip) -> bool:
    return ip is not None and any(ip in net for net in settings.TRUSTED_PROXIES)


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or the right-most untrusted X-Forwarded-For hop when
    REMOTE_ADDR is a trusted proxy."""
    remote = request.META.get("REMOTE_ADDR", "")
    if not _trusted(_ip(remote)):
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([h for h in hops if h]):
        ip = _ip(hop)
        if ip is None:
            break  # garbage from the client: the last trusted hop is what we know
        if not _trusted(ip):
            return str(ip)
        remote = str(ip)
    return remote
