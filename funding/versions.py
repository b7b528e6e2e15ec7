"""A stamp of the rounds data, so that figures computed over every round can be cached.

`rounds_changed()` gives the rounds a new stamp; cache keys that include
`rounds_version()` then miss, and the figures are computed again. The services
that write rounds or their participations call it (see funding.services); a
write that bypasses them must call it too. The stamp changes when the write
happens and again when its transaction commits, so that a page computed from
the old rows in between is not kept.
"""

from __future__ import annotations

from uuid import uuid4

from django.core.cache import cache
from django.db import transaction

_KEY = "rounds:version"


def _new_version() -> None:
    cache.set(_KEY, uuid4().hex, timeout=None)


def rounds_version() -> str:
    """The current stamp (one cache read). Random, so a lost key cannot bring back an old one."""
    return str(cache.get_or_set(_KEY, lambda: uuid4().hex, timeout=None))


def rounds_changed() -> None:
    """Rounds or participations were written: figures cached from them are stale."""
    _new_version()
    transaction.on_commit(_new_version)
