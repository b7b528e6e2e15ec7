"""URLs are fetched only from public http(s) addresses, redirects included, within a deadline.

The tests serve HTTP from 127.0.0.1 behind a stand-in for DNS and the network:
`data.example.com` "resolves" to a public address, and a connection to that
address reaches the local server. The fetcher itself checks and connects as
in production.
"""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command

from companies.links import WEB_URL_MESSAGE
from funding.importers.fetch import FetchError, check_public_url, fetch_to_file
from funding.models import ImportRun

PUBLIC = "93.184.216.34"
URL = "https://data.example.com/rounds.csv"
HTTP_URL = "http://data.example.com/rounds.csv"
REAL_CREATE_CONNECTION = socket.create_connection


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
        check_public_url(URL)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/x.csv", "gopher://x", "//example.com"]
)
def test_it_refuses_other_schemes(url: str) -> None:
    with pytest.raises(FetchError) as caught:
        check_public_url(url)
    assert WEB_URL_MESSAGE in str(caught.value)


def test_it_accepts_a_public_address() -> None:
    with resolving_to(PUBLIC):
        assert check_public_url(URL)[:2] == ("data.example.com", 443)


# --- Against a local server -----------------------------------------------------------


@dataclass
class Network:
    """Stands in for DNS and routing; records what was looked up and connected to."""

    names: dict[str, list[str]] = field(default_factory=dict)  # host -> addresses, in turn
    routes: dict[str, int] = field(default_factory=dict)  # address -> local port
    lookups: list[str] = field(default_factory=list)
    connections: list[str] = field(default_factory=list)

    def getaddrinfo(self, host: str, port: int, *args: object, **kwargs: object) -> list[Any]:
        if host != "127.0.0.1":  # not the stand-in's own route to the local server
            self.lookups.append(host)
        answers = self.names.get(host, [host])
        address = answers.pop(0) if len(answers) > 1 else answers[0]
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    def create_connection(self, address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
        self.connections.append(address[0])
        if address[0] not in self.routes:
            raise ConnectionRefusedError(f"no route to {address[0]}")
        return REAL_CREATE_CONNECTION(("127.0.0.1", self.routes[address[0]]), *args, **kwargs)


def serve(handle: Callable[[http.server.BaseHTTPRequestHandler], None]) -> Iterator[int]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with suppress(BrokenPipeError, ConnectionResetError):  # the fetcher hung up
                handle(self)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def drip(handler: http.server.BaseHTTPRequestHandler) -> None:
    """200 with a 20-byte body sent one byte a second."""
    handler.send_response(200)
    handler.send_header("Content-Length", "20")
    handler.end_headers()
    for _ in range(20):
        handler.wfile.write(b"x")
        handler.wfile.flush()
        time.sleep(1)


def drip_headers(handler: http.server.BaseHTTPRequestHandler) -> None:
    """A status line, then a header sent one byte a second."""
    handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
    for byte in b"X-Slow: " + b"y" * 20:
        handler.wfile.write(bytes([byte]))
        handler.wfile.flush()
        time.sleep(1)


def csv_body(handler: http.server.BaseHTTPRequestHandler) -> None:
    body = b"company,stage\nAlpha AI,seed\n"
    handler.send_response(200)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def large_body(handler: http.server.BaseHTTPRequestHandler) -> None:
    handler.send_response(200)
    handler.end_headers()
    handler.wfile.write(b"x" * 5000)


def redirect_to(location: str) -> Callable[[http.server.BaseHTTPRequestHandler], None]:
    def handle(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return handle


@pytest.fixture
def network() -> Iterator[Network]:
    net = Network(names={"data.example.com": [PUBLIC]})
    with (
        mock.patch("socket.getaddrinfo", side_effect=net.getaddrinfo),
        mock.patch("socket.create_connection", side_effect=net.create_connection),
    ):
        yield net


def hosting(network: Network, handle: Callable[[Any], None]) -> Iterator[int]:
    for port in serve(handle):
        network.routes[PUBLIC] = port
        yield port


def fetch(url: str = HTTP_URL, **kwargs: Any) -> Path:
    options = {"max_bytes": 10_000, "timeout": 2.0, "deadline": 10.0, **kwargs}
    return fetch_to_file(url, **options)


def test_it_fetches_a_public_source_into_a_file(network: Network) -> None:
    for _ in hosting(network, csv_body):
        path = fetch()
        assert path.read_bytes() == b"company,stage\nAlpha AI,seed\n"
        path.unlink()


def test_a_source_that_sends_a_byte_a_second_fails_at_the_deadline(network: Network) -> None:
    for _ in hosting(network, drip):
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"longer than the 2 s deadline"):
            fetch(deadline=2.0)
        assert time.monotonic() - started < 4


def test_a_source_that_drips_its_headers_fails_at_the_deadline(network: Network) -> None:
    for _ in hosting(network, drip_headers):
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"longer than the 2 s deadline"):
            fetch(deadline=2.0)
        assert time.monotonic() - started < 4


@pytest.mark.django_db
def test_an_import_of_a_dripping_url_fails_its_run_naming_the_deadline(
    network: Network, settings: Any
) -> None:
    settings.IMPORT_FETCH_TIMEOUT = 2.0
    settings.IMPORT_FETCH_DEADLINE = 2.0
    for _ in hosting(network, drip):
        started = time.monotonic()
        with pytest.raises(SystemExit):
            call_command("import_rounds", HTTP_URL, stdout=StringIO(), stderr=StringIO())
        assert time.monotonic() - started < 6
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.FAILED
    assert "2 s deadline (IMPORT_FETCH_DEADLINE)" in run.message


def test_it_stops_at_the_size_cap(network: Network) -> None:
    for _ in hosting(network, large_body):
        with pytest.raises(FetchError, match="larger than"):
            fetch(max_bytes=1000)


@pytest.mark.parametrize(
    "location",
    ["http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:6379/", "file:///etc/passwd"],
)
def test_it_refuses_a_redirect_to_a_forbidden_address(network: Network, location: str) -> None:
    for _ in hosting(network, redirect_to(location)):
        with pytest.raises(FetchError):
            fetch()
    assert network.connections == [PUBLIC]


def test_it_connects_to_the_address_it_checked_not_to_a_second_lookup(network: Network) -> None:
    """DNS rebinding: the name answers a public address, then a private one."""
    network.names["data.example.com"] = [PUBLIC, "127.0.0.1"]
    for _ in hosting(network, csv_body):
        fetch().unlink()
    assert network.lookups == ["data.example.com"]
    assert network.connections == [PUBLIC]
