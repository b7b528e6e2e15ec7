"""Celery tasks: thin wrappers that take plain values and call one service."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from funding.services import rounds_reconvert


@shared_task(
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_jitter=True,
    max_retries=5,
)
def rounds_reconvert_currency(currency: str) -> int:
    """Recompute the USD figures of `currency` rounds after its rates changed."""
    return rounds_reconvert(currency=currency)
