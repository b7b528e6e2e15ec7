"""API tokens: printed once by the command, stored as digests, revocable in the admin."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from knox.models import AuthToken

pytestmark = pytest.mark.django_db


def create_token(username: str) -> str:
    out = StringIO()
    call_command("create_api_token", username, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def test_the_command_prints_a_working_token_alone_on_the_last_line(client: Client) -> None:
    User.objects.create_user("ana")
    token = create_token("ana")
    assert " " not in token
    assert len(token) >= 40
    response = client.post(
        "/api/v1/companies/",
        data={},
        content_type="application/json",
        headers={"Authorization": f"Token {token}"},
    )
    assert response.status_code == 403, "authenticated, but without the permission"


def test_only_a_digest_of_the_token_is_stored() -> None:
    User.objects.create_user("ana")
    token = create_token("ana")
    stored = AuthToken.objects.get()
    assert token not in {stored.digest, stored.token_key}
    assert len(stored.digest) == 128


def test_the_command_refuses_an_unknown_user() -> None:
    with pytest.raises(CommandError, match="No user named"):
        call_command("create_api_token", "ghost", stdout=StringIO())


def test_an_admin_revokes_a_token_by_deleting_it(client: Client) -> None:
    User.objects.create_user("ana")
    token = create_token("ana")
    admin = User.objects.create_superuser("boss", password="x" * 12)
    stored = AuthToken.objects.get()
    client.force_login(admin)
    assert client.get("/admin/knox/authtoken/").status_code == 200
    response = client.post(f"/admin/knox/authtoken/{stored.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    client.logout()
    response = client.post(
        "/api/v1/companies/",
        data={},
        content_type="application/json",
        headers={"Authorization": f"Token {token}"},
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    "header", ["Token", "Token a b", "Token \u00e9\u00e9\u00e9", "Token " + "x" * 500, "Bearer abc"]
)
def test_malformed_credentials_are_401_or_ignored_never_500(client: Client, header: str) -> None:
    response = client.post(
        "/api/v1/companies/",
        data={},
        content_type="application/json",
        headers={"Authorization": header},
    )
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_a_session_write_needs_the_csrf_token() -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.create_superuser("boss", password="x" * 12))
    response = client.post(
        "/api/v1/companies/", data={"name": "X"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
