"""Admin login protection on top of django-axes: two rules that cannot lock an admin out.

1. A username *from one client address* is locked for AXES_COOLOFF_TIME after
   AXES_FAILURE_LIMIT failures (axes' own rule, on the pair): an attacker's
   address locks itself, never the admin's own.
2. An account is locked, from every address, once LOGIN_ACCOUNT_FAILURE_LIMIT
   passwords were checked and failed for it within LOGIN_ACCOUNT_WINDOW: the
   ceiling on guesses spread over many addresses. Attempts refused while locked
   check no password and do not count, so hammering a locked account cannot
   keep it locked; the lock lifts as the oldest failure leaves the window.

A locked attempt gets the login page again with status 429, a `Retry-After`
header (seconds until the lock lifts) and a message that says the sign-in is
paused, the same whether or not the username exists.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from config.proxy import client_ip


def _account_failures(username: str, now: datetime) -> list[datetime]:
    """When the account's checked passwords failed within the window, newest first."""
    since = now - settings.LOGIN_ACCOUNT_WINDOW
    return list(
        AccessFailureLog.objects.filter(
            username=username, locked_out=False, attempt_time__gte=since
        )
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)[: settings.LOGIN_ACCOUNT_FAILURE_LIMIT]
    )


def account_locked_for(username: str | None, now: datetime | None = None) -> float:
    """Seconds until rule 2 lets the account try again (0: it may). One query."""
    if not username:
        return 0.0
    now = now or timezone.now()
    failures = _account_failures(username, now)
    if len(failures) < settings.LOGIN_ACCOUNT_FAILURE_LIMIT:
        return 0.0
    return max((failures[-1] + settings.LOGIN_ACCOUNT_WINDOW - now).total_seconds(), 0.0)


def pair_locked_for(request: HttpRequest, username: str | None, now: datetime) -> float:
    """Seconds until rule 1 lets this username try again from this address (0: it may)."""
    cool_off = get_cool_off(request)
    attempt = (
        AccessAttempt.objects.filter(username=username, ip_address=client_ip(request))
        .order_by("-attempt_time")
        .first()
    )
    if attempt is None or cool_off is None:
        return 0.0
    if attempt.failures_since_start < get_failure_limit(request, None):
        return 0.0
    return max((attempt.attempt_time + cool_off - now).total_seconds(), 0.0)


class LoginLockoutHandler(AxesDatabaseHandler):
    """axes' database handler (rule 1 on the username and address pair), plus rule 2."""

    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        failures = int(super().get_failures(request, credentials))
        if account_locked_for(get_client_username(request, credentials)):
            return max(failures, int(get_failure_limit(request, credentials)))
        return failures


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The login page again, status 429, with `Retry-After` and a message."""
    username = get_client_username(request, credentials)
    now = timezone.now()
    seconds = max(pair_locked_for(request, username, now), account_locked_for(username, now))
    seconds = max(math.ceil(seconds), 1)
    minutes = math.ceil(seconds / 60)
    context = {
        **admin.site.each_context(request),
        "title": "Log in",
        "app_path": request.get_full_path(),
        "form": AuthenticationForm(request),
        "login_paused": (
            "Too many failed sign-in attempts: signing in here is paused for "
            f"{minutes} minute{'s' if minutes > 1 else ''}. Try again later."
        ),
    }
    response = TemplateResponse(request, "admin/login.html", context, status=429)
    response["Retry-After"] = str(seconds)
    return response.render()
