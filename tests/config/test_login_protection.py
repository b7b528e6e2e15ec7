"""Admin login protection: django-axes locks out by username and by client address."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http.response import HttpResponseBase
from django.test import Client, RequestFactory

from config.proxy import client_ip

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-password-1"
LOCKED = 429
COOL_OFF = timedelta(minutes=15)


@pytest.fixture(autouse=True)
def login_protection(settings: Any) -> None:
    settings.AXES_ENABLED = True


@pytest.fixture
def admin_user() -> User:
    return User.objects.create_superuser("admin", "admin@example.com", PASSWORD)


def log_in(
    client: Client, username: str, password: str, ip: str = "203.0.113.7"
) -> HttpResponseBase:
    return client.post(
        "/admin/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def let_time_pass(delta: timedelta) -> None:
    """Ages every recorded attempt, as if `delta` had passed."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - delta)


def test_a_correct_password_logs_in(client: Client, admin_user: User) -> None:
    response = log_in(client, "admin", PASSWORD)
    assert response.status_code == 302


def test_an_account_is_locked_after_five_failures_from_any_addresses(
    client: Client, admin_user: User
) -> None:
    statuses = [
        log_in(client, "admin", "wrong", ip=f"198.51.100.{n}").status_code for n in range(5)
    ]
    assert statuses == [200, 200, 200, 200, LOCKED]
    response = log_in(client, "admin", PASSWORD, ip="192.0.2.99")
    assert response.status_code == LOCKED
    assert "_auth_user_id" not in client.session


def test_an_address_is_locked_after_five_failures_on_any_accounts(
    client: Client, admin_user: User
) -> None:
    for n in range(5):
        log_in(client, f"guess{n}", "wrong", ip="203.0.113.7")
    assert log_in(client, "admin", PASSWORD, ip="203.0.113.7").status_code == LOCKED
    assert log_in(client, "admin", PASSWORD, ip="192.0.2.99").status_code == 302


def test_four_failures_do_not_lock(client: Client, admin_user: User) -> None:
    for _ in range(4):
        log_in(client, "admin", "wrong")
    assert log_in(client, "admin", PASSWORD).status_code == 302


def test_the_lockout_lifts_after_fifteen_minutes_of_quiet(client: Client, admin_user: User) -> None:
    for _ in range(5):
        log_in(client, "admin", "wrong")
    let_time_pass(COOL_OFF - timedelta(seconds=5))
    assert log_in(client, "admin", PASSWORD).status_code == LOCKED
    # That attempt, made while locked out, restarted the cool-off.
    let_time_pass(COOL_OFF - timedelta(seconds=5))
    assert log_in(client, "admin", PASSWORD).status_code == LOCKED
    let_time_pass(COOL_OFF + timedelta(seconds=1))
    assert log_in(client, "admin", PASSWORD).status_code == 302


def test_at_most_twenty_passwords_per_account_are_tried_in_an_hour(
    client: Client, admin_user: User
) -> None:
    """The fastest attacker: guesses until locked out, waits out the cool-off, repeats."""
    elapsed = timedelta(0)
    tried = 0
    n = 0
    while elapsed < timedelta(hours=1):
        n += 1
        # A new address for every guess: the per-address limit never trips.
        response = log_in(client, "admin", f"guess-{n}", ip=f"198.51.{n // 250}.{n % 250}")
        if response.status_code == LOCKED:
            let_time_pass(COOL_OFF + timedelta(seconds=1))
            elapsed += COOL_OFF + timedelta(seconds=1)
        else:
            tried += 1
            let_time_pass(timedelta(seconds=1))
            elapsed += timedelta(seconds=1)
    assert 15 < tried <= 20


def test_a_lockout_is_logged(
    client: Client, admin_user: User, caplog: pytest.LogCaptureFixture
) -> None:
    for _ in range(5):
        log_in(client, "admin", "wrong")
    assert "AXES: Locking out" in caplog.text
    assert 'username: "admin"' in caplog.text
    assert 'ip_address: "203.0.113.7"' in caplog.text
    assert AccessAttempt.objects.filter(username="admin").exists()


@pytest.mark.parametrize("password", ["Short-pw-1", "password1234", "123456789012345"])
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(ValidationError):
        validate_password(password)


def test_a_twelve_character_passphrase_is_accepted() -> None:
    validate_password("tidal-Kimi-42")


@pytest.mark.parametrize(
    ("behind_proxy", "forwarded_for", "expected"),
    [
        (False, "198.51.100.1", "10.0.0.2"),  # no proxy: the header is the client's word
        (True, "198.51.100.1", "198.51.100.1"),
        (True, "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # left entries are client-sent
        (True, "2001:db8::1", "2001:db8::1"),
        (True, "not-an-address", "10.0.0.2"),
        (True, "", "10.0.0.2"),
    ],
)
def test_the_client_address_is_taken_from_the_proxy_only_behind_one(
    settings: Any, behind_proxy: bool, forwarded_for: str, expected: str
) -> None:
    settings.BEHIND_HTTPS_PROXY = behind_proxy
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded_for)
    assert client_ip(request) == expected
