"""Serializer fields the API shares: strings are strings, URLs follow the web URL rule,
nested items are whole."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.validators import URLValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from companies.dates import DATE_RANGE_MESSAGE, validate_event_date
from companies.links import WEB_URL_MAX_LENGTH, WEB_URL_MESSAGE, validate_web_url
from companies.text import NoControlCharacters

NOT_A_STRING = "Must be a string."
# A slug is Unicode letters, digits, "_" and "-" (`slugify(name, allow_unicode=True)`: a
# name in Chinese keeps it). JSON Schema's \w is ASCII only, so the pattern says it the
# other way round: no whitespace, control or ASCII punctuation other than "-" and "_".
SLUG_PATTERN = "^[^\\s\\u0000-\\u002c./:-@\\[-^`{-\\u007f]+$"


@extend_schema_field({"type": "string", "maxLength": 220, "pattern": SLUG_PATTERN})
class SlugOutField(serializers.CharField):
    """A company's or investor's slug as the API serves it."""


def _string(data: Any) -> str:
    """`data` if it is a JSON string; a 400 otherwise (DRF would store 0 as "0")."""
    if not isinstance(data, str):
        raise serializers.ValidationError(NOT_A_STRING, code="invalid")
    return data


class TextField(serializers.CharField):
    """A string field that refuses other JSON types and control characters (the text rule of
    `companies.text`: one line, or with `multiline` tabs and line breaks too)."""

    def __init__(self, *, multiline: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.append(NoControlCharacters(multiline=multiline))

    def to_internal_value(self, data: Any) -> str:
        data = _string(data)
        # The schema's maxLength counts what was sent; DRF would count it after trimming.
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length, length=len(data))
        return str(super().to_internal_value(data))


class SlugField(serializers.SlugRelatedField):
    """A related object by slug: a non-empty string (DRF reads "" as null)."""

    def run_validation(self, data: Any = serializers.empty) -> Any:
        if (
            data is not serializers.empty
            and data is not None
            and (not isinstance(data, str) or not data)
        ):
            raise serializers.ValidationError("Must be a slug: a non-empty string.", code="invalid")
        return super().run_validation(data)


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

    def to_internal_value(self, data: Any) -> str:
        return str(super().to_internal_value(_string(data)))


class EventDateField(serializers.DateField):
    """A recorded date (founded, announced, published) under the one date rule
    (`companies.dates`): 1900-01-01 to one year after today, refused on this field."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", DATE_RANGE_MESSAGE.replace("Give a date", "A date"))
        super().__init__(**kwargs)
        self.validators.append(validate_event_date)


class WholeItemSerializer(serializers.Serializer[Any]):
    """A nested item (an investor or source of a round): its required keys are required
    on PATCH too, where DRF would otherwise skip them and pass on half an item."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            missing = {
                name: [field.error_messages["required"]]
                for name, field in self.fields.items()
                if field.required and not field.read_only and name not in data
            }
            if missing:
                raise serializers.ValidationError(missing)
        return super().to_internal_value(data)
