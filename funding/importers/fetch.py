"""Fetching an import URL: web URLs to public addresses only (redirects included), with
a timeout per network operation, a total deadline and a size cap.

The host is resolved once and checked (`companies.links.public_addresses`); the
connection goes to the address that was checked, never to a second look-up's,
so a name that resolves to a public address for the check and to a private one
for the connection (DNS rebinding) cannot reach the private one. TLS still
verifies the certificate against the host name. The body is written to a
temporary file.
"""

from __future__ import annotations

import http.client
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.core.exceptions import ValidationError

from companies.links import IPAddress, public_addresses
from funding.importers.base import NotTheFormatError

MAX_REDIRECTS = 5
REDIRECTS = {301, 302, 303, 307, 308}
BLOCK = 65536


class FetchError(NotTheFormatError):
    """The URL cannot be imported (refused, unreachable, too large, too slow)."""


def check_public_url(url: str) -> tuple[str, int, list[IPAddress]]:
    """The host, port and checked addresses of a URL that may be fetched; FetchError if not."""
    try:
        return public_addresses(url)
    except ValidationError as error:
        raise FetchError(f"Cannot import {url[:100]!r}: {' '.join(error.messages)}") from None


class _Deadline:
    """The wall-clock limit on a whole fetch: when it passes, the connection is shut."""

    def __init__(self, url: str, seconds: float) -> None:
        self.url, self.seconds = url, seconds
        self.ends = time.monotonic() + seconds
        self.passed = False

    def error(self) -> FetchError:
        return FetchError(
            f"Fetching {self.url[:100]} took longer than the {self.seconds:g} s deadline "
            "(IMPORT_FETCH_DEADLINE); the source is too slow or too large."
        )

    def remaining(self) -> float:
        left = self.ends - time.monotonic()
        if left <= 0:
            self.passed = True
            raise self.error()
        return left

    @contextmanager
    def watching(self, connection: http.client.HTTPConnection) -> Iterator[None]:
        """Shut `connection` down when the deadline passes, whatever it is blocked in."""
        timer = threading.Timer(self.remaining(), self._expire, args=(connection,))
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()

    def _expire(self, connection: http.client.HTTPConnection) -> None:
        self.passed = True
        if connection.sock is not None:
            with suppress(OSError):  # already closed
                connection.sock.shutdown(socket.SHUT_RDWR)


def _connection(
    url: str, host: str, port: int, addresses: list[IPAddress], timeout: float
) -> http.client.HTTPConnection:
    """A connection to `host` that connects to one of the checked `addresses` only."""
    connection_class = (
        http.client.HTTPSConnection
        if urlsplit(url).scheme == "https"
        else http.client.HTTPConnection
    )
    connection = connection_class(host, port, timeout=timeout)

    def connect(address: tuple[str, int], timeout: Any, source: Any = None) -> socket.socket:
        error: OSError | None = None
        for checked in addresses:
            try:
                return socket.create_connection((str(checked), address[1]), timeout, source)
            except OSError as refused:
                error = refused
        raise error or OSError(f"no address for {host}")

    connection._create_connection = connect  # type: ignore[attr-defined]
    return connection


def fetch_to_file(url: str, *, max_bytes: int, timeout: float, deadline: float) -> Path:
    """Download `url` (following up to 5 checked redirects) into a temporary file.

    `timeout`: seconds any one network operation may take; `deadline`: seconds
    the whole fetch may take, redirects included. FetchError on anything else.
    """
    limit = _Deadline(url, deadline)
    for _ in range(MAX_REDIRECTS + 1):
        host, port, addresses = check_public_url(url)
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection = _connection(url, host, port, addresses, min(timeout, limit.remaining()))
        try:
            with limit.watching(connection):
                connection.request(
                    "GET",
                    target,
                    headers={"User-Agent": "Roundbook importer", "Accept-Encoding": "identity"},
                )
                response = connection.getresponse()
                location = response.getheader("Location")
                if response.status in REDIRECTS and location:
                    url = urljoin(url, location)
                    continue
                if response.status != 200:
                    raise FetchError(f"{url[:100]} answered HTTP {response.status}.")
                path = _save(response, max_bytes=max_bytes, limit=limit)
        except (OSError, http.client.HTTPException) as error:
            if limit.passed:
                raise limit.error() from None
            raise FetchError(f"Cannot fetch {url[:100]}: {error}") from None
        finally:
            connection.close()
        if limit.passed:  # the connection was shut at the deadline: the body is cut short
            path.unlink(missing_ok=True)
            raise limit.error()
        return path
    raise FetchError(f"More than {MAX_REDIRECTS} redirects from {url[:100]}.")


def _save(response: http.client.HTTPResponse, *, max_bytes: int, limit: _Deadline) -> Path:
    target = tempfile.NamedTemporaryFile(prefix="roundbook-import-", delete=False)  # noqa: SIM115
    size = 0
    try:
        with target:
            while block := response.read1(BLOCK):
                size += len(block)
                if size > max_bytes:
                    raise FetchError(f"The file is larger than {max_bytes:,} bytes.")
                if limit.passed:
                    raise limit.error()
                target.write(block)
    except BaseException:
        Path(target.name).unlink(missing_ok=True)
        raise
    return Path(target.name)
