"""A stamp of the rounds data, so that figures computed over every round can be cached.

`rounds_changed()` gives the rounds a new stamp; cache keys that include
`rounds_version()` then miss, and the figures are computed again. The services
that write rounds or their participations call it (see funding.services); a
write that bypasses them must call it too. The stamp changes when the write
happens and again when its transaction commits, so that a page computed from
the old rows in between is not kept.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

_KEY = "rounds:version"
# The stamp makes a cached figure stale as soon as the rounds change; the timeout
# only bounds what a cache outage could leave behind (a write whose stamp could not be
# renewed) and the memory used.
FIGURES_CACHE_SECONDS = 60 * 60


def _new_version() -> None:
    try:
        cache.set(_KEY, uuid4().hex, timeout=None)
    except RedisError:  # the write itself went through; see FIGURES_CACHE_SECONDS
        logger.warning("the rounds stamp could not be renewed (cache unreachable)")


def rounds_version() -> str:
    """The current stamp (one cache read). Random, so a lost key cannot bring back an old one.

    While the cache is unreachable, a new random one: nothing is found under it.
    """
    try:
        return str(cache.get_or_set(_KEY, lambda: uuid4().hex, timeout=None))
    except RedisError:
        return uuid4().hex


def rounds_changed() -> None:
    """Rounds or participations were written: figures cached from them are stale."""
    _new_version()
    transaction.on_commit(_new_version)


def figures_get(key: str) -> Any:
    """A figure cached under `key` (which holds `rounds_version()`), or None.

    None too when figures are not cached (no shared cache, CACHE_ROUND_FIGURES)
    or the cache is unreachable: the caller computes them, as on a miss.
    """
    if not settings.CACHE_ROUND_FIGURES:
        return None
    try:
        return cache.get(key)
    except RedisError:
        logger.warning("cached figures unreachable; computed afresh")
        return None


def figures_set(key: str, value: Any) -> None:
    if not settings.CACHE_ROUND_FIGURES:
        return
    try:
        cache.set(key, value, timeout=FIGURES_CACHE_SECONDS)
    except RedisError:
        logger.warning("figures could not be cached (cache unreachable)")
