"""The one rule for the dates Roundbook records: a company's founding, a round's
announcement, a source's publication.

From 1900-01-01 (before any venture round) to one year after today (a round
announced for next quarter is real; year 9999 is a typo). The model fields
carry `validate_event_date`, so the admin, the API and the services' checks
say the same thing; the importers read dates with the same bounds and message.
The database holds the fixed lower bound (`EARLIEST_CONDITION`): an upper
bound that moves with the clock cannot be a CHECK on SQLite, which refuses
`date('now')` there.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

EARLIEST = date(1900, 1, 1)
DATE_RANGE_MESSAGE = "Give a date from 1900-01-01 to one year after today."


def latest_date(today: date | None = None) -> date:
    """One year after `today` (UTC today by default); 29 February gives 28 February."""
    today = today or timezone.now().date()
    try:
        return today.replace(year=today.year + 1)
    except ValueError:  # 29 February
        return today.replace(year=today.year + 1, day=28)


def in_range(value: date) -> bool:
    return EARLIEST <= value <= latest_date()


def validate_event_date(value: date) -> None:
    if not in_range(value):
        raise ValidationError(DATE_RANGE_MESSAGE, code="date_out_of_range")


def earliest_condition(field: str) -> Q:
    """The database's half of the rule: `field` is empty or on or after 1900-01-01."""
    return Q(**{f"{field}__gte": EARLIEST}) | Q(**{f"{field}__isnull": True})
