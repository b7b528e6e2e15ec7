"""A rate entered in the admin reconverts its rounds, through a real Celery worker."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from config.celery_app import app
from funding.models import ExchangeRate, FundingRound
from funding.services import rounds_reconvert
from tests.factories import RoundFactory


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db
def test_reconverting_uses_a_newly_entered_rate() -> None:
    funding_round = RoundFactory.create(
        announced_on=date(2024, 3, 1), amount=Decimal(1000), currency="AED"
    )
    assert funding_round.amount_usd is None
    ExchangeRate.objects.create(currency="AED", date=date(2024, 3, 1), rate=Decimal("0.2723"))
    assert rounds_reconvert(currency="AED") == 1
    funding_round.refresh_from_db()
    assert funding_round.amount_usd == Decimal("272.30")
    assert rounds_reconvert(currency="AED") == 0


@pytest.mark.django_db(transaction=True)
def test_a_rate_saved_in_the_admin_is_applied_by_a_worker(celery_broker: str) -> None:
    funding_round = RoundFactory.create(
        announced_on=date(2024, 3, 1), amount=Decimal(1000), currency="AED"
    )
    client = Client()
    client.force_login(User.objects.create_superuser("ops", "ops@example.com", "a-long-password-1"))
    with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
        response = client.post(
            reverse("admin:funding_exchangerate_add"),
            {"currency": "AED", "date": "2024-03-01", "rate": "0.2723", "origin": "manual"},
        )
        assert response.status_code == 302
        converted = wait_for(
            lambda: FundingRound.objects.get(pk=funding_round.pk).amount_usd is not None
        )
    assert converted, "the worker did not reconvert the round within 30 s"
    assert FundingRound.objects.get(pk=funding_round.pk).amount_usd == Decimal("272.30")
