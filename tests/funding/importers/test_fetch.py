"""URLs are fetched only from public http(s) addresses, redirects included."""

from __future__ import annotations

import socket
import urllib.error
from email.message import Message
from io import BytesIO
from typing import Any
from unittest import mock

import pytest

from funding.importers.fetch import FetchError, check_public_url, fetch_to_file


def resolving_to(address: str) -> Any:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    return mock.patch(
        "socket.getaddrinfo",
        return_value=[(family, socket.SOCK_STREAM, 6, "", (address, 443))],
    )


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",  # loopback
        "10.1.2.3",  # private
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # link-local: cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",  # noqa: S104 (an address to refuse, nothing binds it)
        "::1",
        "fe80::1",
        "fd00::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",  # multicast
    ],
)
def test_it_refuses_a_host_that_resolves_to_a_forbidden_address(address: str) -> None:
    with resolving_to(address), pytest.raises(FetchError, match="not a public address"):
        check_public_url("https://data.example.com/rounds.csv")


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/x.csv", "gopher://x", "//example.com"]
)
def test_it_refuses_other_schemes(url: str) -> None:
    with pytest.raises(FetchError, match="Only http"):
        check_public_url(url)


def test_it_accepts_a_public_address() -> None:
    with resolving_to("93.184.216.34"):
        check_public_url("https://data.example.com/rounds.csv")


def redirect_to(location: str) -> urllib.error.HTTPError:
    headers = Message()
    headers["Location"] = location
    return urllib.error.HTTPError("https://data.example.com/", 302, "Found", headers, BytesIO())


@pytest.mark.parametrize(
    "location",
    ["http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:6379/", "file:///etc/passwd"],
)
def test_it_refuses_a_redirect_to_a_forbidden_address(location: str) -> None:
    def resolve(host: str, *args: object, **kwargs: object) -> list[Any]:
        address = "93.184.216.34" if host == "data.example.com" else host
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, 443))]

    with (
        mock.patch("socket.getaddrinfo", side_effect=resolve),
        mock.patch("funding.importers.fetch._OPENER.open", side_effect=redirect_to(location)),
        pytest.raises(FetchError),
    ):
        fetch_to_file("https://data.example.com/rounds.csv", max_bytes=1000, timeout=1)


def test_it_stops_at_the_size_cap() -> None:
    body = BytesIO(b"x" * 5000)
    with (
        resolving_to("93.184.216.34"),
        mock.patch("funding.importers.fetch._OPENER.open", return_value=body),
        pytest.raises(FetchError, match="larger than"),
    ):
        fetch_to_file("https://data.example.com/rounds.csv", max_bytes=1000, timeout=1)
