"""Serializer fields the API shares."""

from __future__ import annotations

from typing import Any

from django.core.validators import URLValidator
from rest_framework import serializers

from companies.links import WEB_URL_MAX_LENGTH, WEB_URL_MESSAGE, validate_web_url


class WebURLField(serializers.URLField):
    """A URL under the web URL rule (`companies.links`): refused with the same message
    as in the admin and the importers; the schema gives its length and scheme."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", WEB_URL_MAX_LENGTH)
        kwargs.setdefault(
            "error_messages", {"invalid": WEB_URL_MESSAGE, "max_length": WEB_URL_MESSAGE}
        )
        super().__init__(**kwargs)
        # Django's URL check (which allows ftp) gives way to the web URL rule.
        self.validators = [v for v in self.validators if type(v) is not URLValidator] + [
            validate_web_url
        ]
