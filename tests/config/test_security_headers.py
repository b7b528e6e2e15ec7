"""Every kind of response carries the security headers (production settings, over HTTPS).

The URLs cover an HTML page, an API list, an API error, a plain 404 and the admin
login. Pages or API routes that do not exist yet answer 404, which must carry the
headers just the same.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.http.response import HttpResponseBase
from django.test import Client

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3Xq9vLmP2rT8wYz5bNc7dFh1jGs4aUe6iOo0pQlRtSvWxYzAbCdEfGhIjKlMnOp"
ONE_YEAR = 365 * 24 * 60 * 60

RESPONSE_TYPES = [
    "/",  # dashboard (HTML page)
    "/rounds/",  # HTML list page
    "/api/v1/rounds/",  # API list
    "/api/v1/nope/",  # API error (404 from routing)
    "/no-such-page/",  # plain 404
    "/admin/login/",  # admin login form
    "/healthz",  # JSON probe
]


def csp_directives(response: HttpResponseBase) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.parametrize("url", RESPONSE_TYPES)
def test_the_content_security_policy_is_strict(client: Client, url: str) -> None:
    csp = csp_directives(client.get(url, secure=True))
    assert csp["default-src"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert "'self'" in csp["script-src"]
    for directive in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in csp[directive]
        assert "'unsafe-eval'" not in csp[directive]
        assert "*" not in csp[directive]


@pytest.mark.parametrize("url", RESPONSE_TYPES)
def test_https_is_enforced_for_a_year_with_subdomains(client: Client, url: str) -> None:
    hsts = client.get(url, secure=True)["Strict-Transport-Security"]
    max_age = int(re.search(r"max-age=(\d+)", hsts).group(1))  # type: ignore[union-attr]
    assert max_age >= ONE_YEAR
    assert "includeSubDomains" in hsts


@pytest.mark.parametrize("url", RESPONSE_TYPES)
def test_browsers_neither_sniff_nor_leak_nor_share_the_window(client: Client, url: str) -> None:
    response = client.get(url, secure=True)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_inline_scripts_and_styles_carry_the_nonce_of_the_response(client: Client) -> None:
    response = client.get("/admin/login/", secure=True)
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)  # type: ignore[union-attr]
    html = response.content.decode()
    tags = re.findall(r"<(?:script|style|link rel=\"stylesheet\")[^>]*>", html)
    assert tags
    for tag in tags:
        assert f'nonce="{nonce}"' in tag, tag
    assert "style=" not in html


def test_each_response_gets_a_fresh_nonce(client: Client) -> None:
    first = client.get("/admin/login/", secure=True)["Content-Security-Policy"]
    second = client.get("/admin/login/", secure=True)["Content-Security-Policy"]
    assert first != second


def test_the_csrf_cookie_is_host_only_and_secure(client: Client) -> None:
    cookie = client.get("/admin/login/", secure=True).cookies["__Host-csrftoken"]
    assert cookie["secure"] is True
    assert cookie["path"] == "/"
    assert not cookie["domain"]


def test_the_session_cookie_is_host_only_secure_and_hidden_from_scripts(client: Client) -> None:
    User.objects.create_superuser("admin", "admin@example.com", "a-long-password-1")
    login = client.get("/admin/login/", secure=True)
    token = login.cookies["__Host-csrftoken"].value
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "admin", "password": "a-long-password-1", "csrfmiddlewaretoken": token},
        secure=True,
    )
    assert response.status_code == 302
    cookie = response.cookies["__Host-sessionid"]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["path"] == "/"
    assert not cookie["domain"]
    assert "sessionid" not in response.cookies


def test_plain_http_is_redirected_to_https(client: Client, settings: pytest.FixtureRequest) -> None:
    settings.SECURE_SSL_REDIRECT = True  # type: ignore[attr-defined]  # as in production
    response = client.get("/admin/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/admin/login/"


def test_health_probes_answer_over_plain_http(
    client: Client, settings: pytest.FixtureRequest
) -> None:
    settings.SECURE_SSL_REDIRECT = True  # type: ignore[attr-defined]
    assert client.get("/healthz").status_code == 200


def test_forwarded_proto_is_ignored_without_the_proxy_setting(
    client: Client, settings: pytest.FixtureRequest
) -> None:
    settings.SECURE_SSL_REDIRECT = True  # type: ignore[attr-defined]
    response = client.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 301


def test_forwarded_proto_is_trusted_behind_the_https_proxy(
    client: Client, settings: pytest.FixtureRequest
) -> None:
    settings.SECURE_SSL_REDIRECT = True  # type: ignore[attr-defined]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # type: ignore[attr-defined]
    response = client.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert "Strict-Transport-Security" in response


def settings_in_a_fresh_process(expression: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "BEHIND_HTTPS_PROXY"}}
    result = subprocess.run(  # noqa: S603 (the tests' own expressions)
        [sys.executable, "-c", f"import config.settings as s; print({expression})"],
        cwd=ROOT,
        env={**clean, "SECRET_KEY": STRONG_KEY, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("behind_proxy", "expected"),
    [("", "None"), ("False", "None"), ("True", "('HTTP_X_FORWARDED_PROTO', 'https')")],
)
def test_only_behind_https_proxy_makes_the_settings_trust_x_forwarded_proto(
    behind_proxy: str, expected: str
) -> None:
    value = settings_in_a_fresh_process(
        "getattr(s, 'SECURE_PROXY_SSL_HEADER', None)",
        DEBUG="False",
        BEHIND_HTTPS_PROXY=behind_proxy,
    )
    assert value == expected


def test_production_uses_secure_host_only_cookies() -> None:
    value = settings_in_a_fresh_process(
        "s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT",
        DEBUG="False",
    )
    assert value == "__Host-sessionid __Host-csrftoken True True True"


def test_the_local_http_server_keeps_plain_cookies_so_login_works() -> None:
    value = settings_in_a_fresh_process(
        "s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS",
        DEBUG="True",
    )
    assert value == "sessionid csrftoken False False False 0"
