"""The one rule for stored text: no control characters.

A name, a city, a title is one line: no character below U+0020, nor DEL. A
multi-line text (a description, a round's notes) may also hold tabs and line
breaks. The model fields carry `NoControlCharacters`, so the admin and the
services refuse with the same message as the API's text fields and the
importers' cells. Text already stored is made safe where a format cannot carry
it (`printable`, for the Atom feed: XML 1.0 has no control characters).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

SINGLE_LINE_CONTROL = re.compile("[\x00-\x1f\x7f]")
MULTI_LINE_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab, LF and CR allowed


def control_character_message(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` is refused, or None when it holds no control character."""
    found = (MULTI_LINE_CONTROL if multiline else SINGLE_LINE_CONTROL).search(value)
    if found is None:
        return None
    where = "only tabs and line breaks may break this text" if multiline else "one line of text"
    return f"Remove the control character U+{ord(found.group()):04X} ({where})."


@deconstructible
class NoControlCharacters:
    """A field validator: the rule above, single-line unless `multiline`."""

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, value: Any) -> None:
        if not isinstance(value, str):
            return
        message = control_character_message(value, multiline=self.multiline)
        if message is not None:
            raise ValidationError(message, code="control_characters")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NoControlCharacters) and other.multiline == self.multiline

    def __hash__(self) -> int:
        return hash((type(self), self.multiline))


def printable(text: str) -> str:
    """`text` without the control characters XML 1.0 cannot carry (tab and line breaks stay)."""
    return MULTI_LINE_CONTROL.sub("", text)
