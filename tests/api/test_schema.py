"""The OpenAPI document: valid, served with local docs, and true to the API (schemathesis)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import Permission, User
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, seed, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.authentication import token_create

pytestmark = pytest.mark.django_db


def test_the_schema_validates_without_warnings(tmp_path: Any) -> None:
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--file",
        str(tmp_path / "s.yml"),
        stdout=StringIO(),
        stderr=StringIO(),
    )
    assert "/api/v1/rounds/" in (tmp_path / "s.yml").read_text()


def test_the_schema_is_json_on_request(client: Client) -> None:
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/companies/",
        "/api/v1/companies/{slug}/",
        "/api/v1/companies/{company_slug}/rounds/",
        "/api/v1/companies/{company_slug}/valuations/",
        "/api/v1/investors/",
        "/api/v1/investors/{slug}/",
        "/api/v1/investors/{investor_slug}/rounds/",
        "/api/v1/rounds/",
        "/api/v1/rounds/{id}/",
        "/api/v1/stats/funding/",
    ):
        assert path in paths
    post = paths["/api/v1/rounds/"]["post"]
    assert set(post["responses"]) >= {"201", "400", "401", "403", "413", "415", "429"}
    assert list(post["requestBody"]["content"]) == ["application/json"]


def test_the_docs_load_their_assets_from_this_server(client: Client) -> None:
    page = client.get("/api/docs/").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets
    assert all(a.startswith("/") and not a.startswith("//") for a in assets), assets
    assert "swagger-ui" in page


def _schema_document() -> dict[str, Any]:
    """The document /api/schema/?format=json serves, built without a request (at import,
    before the test settings allow a host)."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated))


def _wsgi_app() -> Any:
    handler = WSGIHandler()

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        environ["HTTP_HOST"] = environ["SERVER_NAME"] = "testserver"
        # As in production, behind TLS: the handler was built before the test settings
        # (at import), so it keeps the production http → https redirect.
        environ["wsgi.url_scheme"] = "https"
        return handler(environ, start_response)

    return app


def _without_cursors(document: dict[str, Any]) -> dict[str, Any]:
    """Cursors are opaque tokens the API issues: any other value is rightly a 400, which
    fuzzing would only report as "valid input rejected". tests/funding/test_api.py walks
    and corrupts them instead."""
    for operations in document["paths"].values():
        for operation in operations.values():
            operation["parameters"] = [
                p for p in operation.get("parameters", []) if p["name"] != "cursor"
            ]
    return document


api = schemathesis.openapi.from_dict(_without_cursors(_schema_document()))
api.app = _wsgi_app()
# The API refuses NUL characters in URLs with a 400 (api/views.py: no database stores
# them), which schemathesis would report as "valid input rejected" whenever it draws one.
api.config.generation.update(allow_x00=False)


@pytest.fixture
def _requests_keep_the_test_transaction() -> Iterator[None]:
    # Django closes "old" connections at request boundaries, which would end the test's
    # transaction (on PostgreSQL; SQLite's in-memory test database survives a close).
    # Per test, not per module: Django's test client reconnects these handlers after each
    # of its requests, so a test using `client` would undo a module-wide disconnect.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.usefixtures("demo_data", "_requests_keep_the_test_transaction")
@api.parametrize()
@seed(1)
@settings(
    max_examples=int(os.environ.get("SCHEMATHESIS_EXAMPLES", "100")),
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_schema(case: Any) -> None:
    """All of schemathesis's checks, 100 examples per operation, fixed seed: no failure."""
    case.call_and_validate()


def _parameters(document: dict[str, Any], path: str) -> dict[str, Any]:
    return {p["name"]: p["schema"] for p in document["paths"][path]["get"]["parameters"]}


def test_the_schema_states_the_text_rule_of_every_free_text_filter() -> None:
    document = _schema_document()
    text = {
        "type": "string",
        "minLength": 1,
        "maxLength": 200,
        "pattern": "^[^\\u0000-\\u001f\\u007f]*$",
    }
    rounds = _parameters(document, "/api/v1/rounds/")
    for name in ("company", "investor", "lead_investor", "sector", "q"):
        assert rounds[name] == text, name
    for path in ("/api/v1/companies/", "/api/v1/investors/", "/api/v1/stats/funding/"):
        assert _parameters(document, path)["q"] == text, path
    assert _parameters(document, "/api/v1/stats/funding/")["sector"] == text
    assert rounds["cursor"]["pattern"] == "^[A-Za-z0-9_-]+$"
    assert rounds["cursor"]["maxLength"] == 1000


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/companies/?q=%01",
        "/api/v1/stats/funding/?q=a%1Fb",
        "/api/v1/stats/funding/?sector=%07",
        "/api/v1/rounds/?company=%7F",
        "/api/v1/investors/?q=" + "x" * 201,
        "/api/v1/rounds/?cursor=not%20a%20cursor",
        "/api/v1/rounds/?cursor=" + "A" * 1001,
    ],
)
def test_what_the_schema_excludes_is_a_400_naming_the_parameter(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    name = url.split("?")[1].split("=", maxsplit=1)[0]
    assert name in response.json()["errors"]


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/companies/?q=%20%20",
        "/api/v1/rounds/?q=caf%C3%A9",
        "/api/v1/companies/?q=" + "x" * 200,
    ],
)
def test_what_the_schema_allows_is_answered(client: Client, url: str) -> None:
    assert client.get(url).status_code == 200


def test_a_page_refuses_a_control_character_with_a_400_naming_it(client: Client) -> None:
    response = client.get("/rounds/?q=%01")
    assert response.status_code == 400
    assert (
        "q: Give at most 200 characters, without control characters." in response.content.decode()
    )


@pytest.fixture
def write_token() -> str:
    """A token of a user who may add, change and delete companies, investors and rounds."""
    user = User.objects.create_user("fuzzer")
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__model__in=("company", "investor", "fundinground"),
            codename__regex=r"^(add|change|delete)_",
        )
    )
    return token_create(user=user)


@pytest.mark.usefixtures("demo_data", "_requests_keep_the_test_transaction")
@api.parametrize()
@seed(7)
@settings(
    max_examples=int(os.environ.get("SCHEMATHESIS_EXAMPLES", "100")),
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_schema_with_a_token_writes_included(case: Any, write_token: str) -> None:
    """A second seed, with a token that may write: every write is fuzzed too, inside the
    test's transaction. A write the schema allows may still break a rule about rounds the
    schema cannot state (post-money below the amount, a slug taken, an investor that is
    the company): a 400 naming the field is right, so for writes the "schema-valid request
    rejected" check is left out; every other check, no 5xx above all, applies."""
    excluded = [] if case.method == "GET" else [positive_data_acceptance]
    case.call_and_validate(
        headers={"Authorization": f"Token {write_token}"}, excluded_checks=excluded
    )
