"""Request rates per anonymous client and per token, counted atomically.

A fixed window per client: one INCR (with its expiry set in the same round
trip) on Redis when REDIS_URL is set, so concurrent requests on every worker
share one exact count; without Redis, the process's local cache (the embedded
default: each process counts on its own). DRF's stock throttles read, change
and write a list of timestamps, which lets bursts through under concurrency.
"""

from __future__ import annotations

import time
from functools import cache as memoize
from typing import TYPE_CHECKING, Any

import redis
from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

if TYPE_CHECKING:
    from rest_framework.views import APIView

_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """ "300/minute" → (300, 60)."""
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period.strip().lower()]


@memoize
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def hit(key: str, period: int) -> int:
    """Count one request in `key`'s current window; returns the count so far."""
    if settings.REDIS_URL:
        pipe = _redis(settings.REDIS_URL).pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, period + 1, nx=True)
        count, _ = pipe.execute()
        return int(count)
    cache.add(key, 0, timeout=period + 1)
    try:
        return cache.incr(key)
    except ValueError:  # the window expired between add and incr
        cache.set(key, 1, timeout=period + 1)
        return 1


class RateThrottle(BaseThrottle):
    scope = ""

    def __init__(self) -> None:
        self.retry_after: float | None = None

    def client_key(self, request: Request) -> str | None:
        raise NotImplementedError

    def allow_request(self, request: Request, view: APIView) -> bool:
        client = self.client_key(request)
        if client is None:
            return True
        limit, period = parse_rate(settings.API_THROTTLE_RATES[self.scope])
        now = time.time()
        window = int(now // period)
        count = hit(f"roundbook:throttle:{self.scope}:{client}:{window}", period)
        if count <= limit:
            return True
        self.retry_after = period - (now % period)
        return False

    def wait(self) -> float | None:
        return self.retry_after


class AnonRateThrottle(RateThrottle):
    """Anonymous clients, by address (the proxy's X-Forwarded-For behind BEHIND_HTTPS_PROXY)."""

    scope = "anon"

    def client_key(self, request: Request) -> str | None:
        if request.auth is not None:
            return None
        return str(self.get_ident(request))


class TokenRateThrottle(RateThrottle):
    """Requests with a token, by token; a logged-in session counts as its user."""

    scope = "token"

    def client_key(self, request: Request) -> str | None:
        auth: Any = request.auth
        if auth is not None and hasattr(auth, "token_key"):
            return f"t{auth.token_key}"
        if request.user.is_authenticated:
            return f"u{request.user.pk}"
        return None
