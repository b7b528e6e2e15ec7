"""Rates per anonymous client and per token: 429 with Retry-After, exact under concurrency."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIRequestFactory

from api.throttling import AnonRateThrottle, parse_rate

pytestmark = pytest.mark.django_db


def test_rates_read_like_drf() -> None:
    assert parse_rate("300/minute") == (300, 60)
    assert parse_rate("3000/hour") == (3000, 3600)


def test_an_anonymous_client_over_its_rate_gets_429_with_retry_after(
    client: Client, settings: Any
) -> None:
    settings.API_THROTTLE_RATES = {"anon": "3/minute", "token": "1000/minute"}
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"
    statuses = [client.get("/api/v1/companies/", REMOTE_ADDR=address).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/companies/", REMOTE_ADDR=address)
    assert response["Content-Type"] == "application/problem+json"
    assert 1 <= int(response["Retry-After"]) <= 60
    other = client.get("/api/v1/companies/", REMOTE_ADDR="10.255.255.1")
    assert other.status_code == 200, "each client has its own count"


def test_a_spoofed_forwarded_for_does_not_escape_the_rate(client: Client, settings: Any) -> None:
    settings.API_THROTTLE_RATES = {"anon": "2/minute", "token": "1000/minute"}
    address = f"10.{uuid.uuid4().int % 250}.1.{uuid.uuid4().int % 250}"
    statuses = [
        client.get(
            "/api/v1/companies/", REMOTE_ADDR=address, HTTP_X_FORWARDED_FOR=f"1.2.3.{n}"
        ).status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]


@pytest.mark.django_db(transaction=False)
def test_twenty_concurrent_clients_get_exactly_the_limit_through(
    redis_url: str, settings: Any
) -> None:
    limit = 200
    settings.API_THROTTLE_RATES = {"anon": f"{limit}/hour", "token": "1000/hour"}
    address = f"172.16.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    request = APIRequestFactory().get("/api/v1/rounds/", REMOTE_ADDR=address)
    request.auth = None
    allowed: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(20)

    def client_thread() -> None:
        throttle = AnonRateThrottle()
        start.wait()
        for _ in range(20):
            ok = throttle.allow_request(request, None)  # type: ignore[arg-type]
            with lock:
                allowed.append(ok)

    threads = [threading.Thread(target=client_thread) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(allowed) == 400
    assert abs(sum(allowed) - limit) <= limit * 0.05
