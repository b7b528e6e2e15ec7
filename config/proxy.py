"""The client's address, as far as this deployment can trust it."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The address login protection counts failures against.

    Behind the TLS-terminating proxy (BEHIND_HTTPS_PROXY) every connection comes
    from the proxy, so the client is the last X-Forwarded-For entry: the one the
    proxy itself appended. Entries to its left were sent by the client and are
    never trusted. Without a proxy, the connection's own address is the client.
    """
    remote_addr: str | None = request.META.get("REMOTE_ADDR")
    if not settings.BEHIND_HTTPS_PROXY:
        return remote_addr
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    last_hop = forwarded.rsplit(",", 1)[-1].strip()
    try:
        return str(ipaddress.ip_address(last_hop))
    except ValueError:
        return remote_addr
