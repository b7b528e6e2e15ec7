"""Admin login protection: django-axes locks out by username and by client address."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db.models import F
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


def log_in(client: Client, username: str, password: str, ip: str = "203.0.113.7") -> Any:
    return client.post(
        "/admin/login/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def let_time_pass(delta: timedelta) -> None:
    """Ages every recorded attempt, as if `delta` had passed."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - delta)
    AccessFailureLog.objects.update(attempt_time=F("attempt_time") - delta)


def test_a_correct_password_logs_in(client: Client, admin_user: User) -> None:
    response = log_in(client, "admin", PASSWORD)
    assert response.status_code == 302


def test_six_failures_from_one_address_leave_the_right_password_working_from_another(
    client: Client, admin_user: User
) -> None:
    statuses = [log_in(client, "admin", "wrong", ip="198.51.100.66").status_code for _ in range(6)]
    assert statuses == [200, 200, 200, 200, LOCKED, LOCKED]
    assert log_in(Client(), "admin", PASSWORD, ip="192.0.2.10").status_code == 302


def test_the_attacking_address_gets_429_with_retry_after_and_a_message(
    client: Client, admin_user: User
) -> None:
    for _ in range(5):
        log_in(client, "admin", "wrong", ip="198.51.100.66")
    response = log_in(client, "admin", PASSWORD, ip="198.51.100.66")
    assert response.status_code == LOCKED
    assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60
    page = response.content.decode()
    assert "signing in here is paused for 15 minutes" in page
    assert "_auth_user_id" not in client.session


def test_a_locked_message_does_not_tell_whether_the_username_exists(
    client: Client, admin_user: User
) -> None:
    User.objects.create_user("kimi-editor", password=PASSWORD, is_staff=True)
    pages = []
    for username in ("kimi-editor", "kimi-nobody"):
        for _ in range(5):
            log_in(client, username, "wrong", ip="198.51.100.66")
        response = log_in(client, username, "wrong", ip="198.51.100.66")
        assert response.status_code == LOCKED
        page = response.content.decode().replace(username, "NAME")
        pages.append(re.sub(r'(csrfmiddlewaretoken" value|nonce)="[^"]+"', "", page))
    assert pages[0] == pages[1]


def test_thirty_failures_from_thirty_addresses_trip_the_per_account_rule(
    client: Client, admin_user: User
) -> None:
    statuses = [
        log_in(Client(), "admin", f"guess-{n}", ip=f"198.51.100.{n}").status_code for n in range(30)
    ]
    assert statuses == [200] * 20 + [LOCKED] * 10
    response = log_in(Client(), "admin", PASSWORD, ip="192.0.2.10")
    assert response.status_code == LOCKED
    assert 3500 < int(response["Retry-After"]) <= 3600
    assert log_in(Client(), "someone-else", "wrong", ip="192.0.2.10").status_code == 200


def test_the_per_account_lock_lifts_as_the_failures_leave_the_hour(
    client: Client, admin_user: User
) -> None:
    for n in range(20):
        log_in(Client(), "admin", f"guess-{n}", ip=f"198.51.100.{n}")
    for n in range(10):  # refused while locked: no password checked, nothing counted
        log_in(Client(), "admin", f"more-{n}", ip=f"198.51.101.{n}")
    let_time_pass(timedelta(minutes=61))
    assert log_in(Client(), "admin", PASSWORD, ip="192.0.2.10").status_code == 302


def test_without_a_trusted_proxy_x_forwarded_for_changes_nothing(
    client: Client, admin_user: User, settings: Any
) -> None:
    settings.BEHIND_HTTPS_PROXY = False
    for n in range(5):
        client.post(
            "/admin/login/",
            {"username": "admin", "password": "wrong"},
            REMOTE_ADDR="198.51.100.66",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}",
        )
    response = client.post(
        "/admin/login/",
        {"username": "admin", "password": PASSWORD},
        REMOTE_ADDR="198.51.100.66",
        HTTP_X_FORWARDED_FOR="192.0.2.10",
    )
    assert response.status_code == LOCKED


def test_behind_the_trusted_proxy_the_address_it_saw_counts(
    client: Client, admin_user: User, settings: Any
) -> None:
    settings.BEHIND_HTTPS_PROXY = True
    for _ in range(5):
        client.post(
            "/admin/login/",
            {"username": "admin", "password": "wrong"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR="198.51.100.66",
            HTTP_X_FORWARDED_PROTO="https",
        )
    locked = client.post(
        "/admin/login/",
        {"username": "admin", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="198.51.100.66",
        HTTP_X_FORWARDED_PROTO="https",
    )
    assert locked.status_code == LOCKED
    other = Client().post(
        "/admin/login/",
        {"username": "admin", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="192.0.2.10",
        HTTP_X_FORWARDED_PROTO="https",
    )
    assert other.status_code == 302


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
