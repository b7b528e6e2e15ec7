"""Fetching an import URL: http(s) only, public addresses only (redirects included),
with timeouts and a size cap. The body is written to a temporary file."""

from __future__ import annotations

import ipaddress
import socket
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO
from urllib.parse import urljoin, urlsplit

from funding.importers.base import NotTheFormatError

MAX_REDIRECTS = 5


class FetchError(NotTheFormatError):
    """The URL cannot be imported (refused, unreachable, too large)."""


def check_public_url(url: str) -> None:
    """Refuse anything but http(s) to a host whose every address is public."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise FetchError(f"Only http(s) URLs can be imported, not {url[:100]!r}.")
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise FetchError(f"Cannot resolve {parts.hostname}: {error}") from None
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if not address.is_global or address.is_multicast:
            raise FetchError(
                f"Refused to fetch {parts.hostname}: {address} is not a public address."
            )


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects())


def fetch_to_file(url: str, *, max_bytes: int, timeout: float) -> Path:
    """Download `url` (following up to 5 checked redirects) into a temporary file."""
    for _ in range(MAX_REDIRECTS + 1):
        check_public_url(url)
        request = urllib.request.Request(url, headers={"User-Agent": "Roundbook importer"})  # noqa: S310 (checked above)
        try:
            response = _OPENER.open(request, timeout=timeout)
        except urllib.error.HTTPError as error:
            if error.code in {301, 302, 303, 307, 308} and error.headers.get("Location"):
                url = urljoin(url, error.headers["Location"])
                continue
            raise FetchError(f"{url[:100]} answered HTTP {error.code}.") from None
        except (urllib.error.URLError, OSError) as error:
            raise FetchError(f"Cannot fetch {url[:100]}: {error}") from None
        with response:
            return _save(response, max_bytes=max_bytes)
    raise FetchError(f"More than {MAX_REDIRECTS} redirects from {url[:100]}.")


def _save(response: IO[bytes], *, max_bytes: int) -> Path:
    target = tempfile.NamedTemporaryFile(prefix="roundbook-import-", delete=False)  # noqa: SIM115
    size = 0
    with target:
        while block := response.read(65536):
            size += len(block)
            if size > max_bytes:
                target.close()
                Path(target.name).unlink(missing_ok=True)
                raise FetchError(f"The file is larger than {max_bytes:,} bytes.")
            target.write(block)
    return Path(target.name)
