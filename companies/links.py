"""The one rule for every URL Roundbook stores or links to, and for every URL it fetches.

A web URL is `http` or `https` with a host, at most 500 characters; anything
else (`javascript:`, `data:`, `ftp:`, a bare path) is refused on every write
path with `WEB_URL_MESSAGE` and never rendered as a link. A URL Roundbook
fetches must also resolve only to public addresses. Companies and funding
both build on this module, so it lives in the base layer.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils.deconstruct import deconstructible

WEB_URL_MAX_LENGTH = 500
WEB_URL_SCHEMES = ("http", "https")
WEB_URL_MESSAGE = (
    f"Enter an http:// or https:// URL with a host, at most {WEB_URL_MAX_LENGTH} characters."
)

type IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@deconstructible
class WebURLValidator(URLValidator):
    """Django's URL check narrowed to http(s), with the length limit and one message."""

    def __init__(self) -> None:
        super().__init__(schemes=list(WEB_URL_SCHEMES), message=WEB_URL_MESSAGE, code="invalid_url")
        self.max_length = WEB_URL_MAX_LENGTH

    def __call__(self, value: Any) -> None:
        if not isinstance(value, str) or len(value) > WEB_URL_MAX_LENGTH:
            raise ValidationError(self.message, code=self.code, params={"value": value})
        super().__call__(value)


validate_web_url = WebURLValidator()


def is_web_url(value: object) -> bool:
    """Whether `value` passes the web URL rule (what may be shown as a link)."""
    try:
        validate_web_url(value)
    except ValidationError:
        return False
    return True


class WebURLFormField(forms.URLField):
    """A form's URL field with the web URL rule and its message (admin forms and inlines)."""

    default_validators = [validate_web_url]
    default_error_messages = {"invalid": WEB_URL_MESSAGE}


class WebURLField(models.URLField):
    """A model URL field holding only web URLs (`validate_web_url` replaces Django's check)."""

    default_validators = [validate_web_url]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", WEB_URL_MAX_LENGTH)
        super().__init__(*args, **kwargs)

    def formfield(self, **kwargs: Any) -> Any:
        return super().formfield(**{"form_class": WebURLFormField, **kwargs})


# --- Fetching --------------------------------------------------------------------


def public_addresses(url: str) -> tuple[str, int, list[IPAddress]]:
    """The host, port and resolved addresses of a URL Roundbook may fetch.

    Runs one DNS look-up. ValidationError when the URL is not a web URL, the
    host does not resolve, or any of its addresses is not public (loopback,
    private, link-local such as cloud metadata, multicast, reserved): a host
    with one private address is refused whole.
    """
    validate_web_url(url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise ValidationError(f"Cannot resolve {host}: {error}", code="unresolved") from None
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if not address.is_global or address.is_multicast:
            raise ValidationError(
                f"Refused to fetch {host}: {address} is not a public address.",
                code="private_address",
            )
        if address not in addresses:
            addresses.append(address)
    return host, port, addresses


def validate_fetchable_url(value: str) -> None:
    """A web URL whose host resolves only to public addresses (see `public_addresses`).

    As a field's extra validator beside `validate_web_url` (WebURLField's own), it
    leaves a URL that breaks the web URL rule to that one: one message, not two.
    """
    if is_web_url(value):
        public_addresses(value)
