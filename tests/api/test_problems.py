"""Every error under /api/ is problem+json with a stable shape; nothing is a 500."""

from __future__ import annotations

import pytest
from django.test import Client

from api.problems import field_errors

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/api/",
        "/api/v1/",
        "/api/v1/nothing/",
        "/api/v1/rounds",
        "/api/v2/rounds/",
        "/api/v1/rounds/abc/",
        "/api/v1/rounds/99999999999999999999999/",
    ],
)
def test_a_url_no_route_serves_is_a_problem_404(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404
    assert body["title"] == "Not Found"
    assert set(body) == {"type", "title", "status", "detail"}


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/rounds/?q=a%00b",
        "/api/v1/companies/a%00b/",
        "/api/v1/rounds/?%00=1",
        "/api/v1/rounds/?updated_since=9999-12-31T23:59:59-05:00",
        "/api/v1/rounds/?updated_since=0163-04-10T13:00:28%2B17:58",
        "/api/v1/rounds/?min_amount_usd=1e999",
        "/api/v1/rounds/?max_amount_usd=NaN",
    ],
)
def test_hostile_parameters_never_get_a_500(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code < 500
    assert response["Content-Type"] in {"application/json", "application/problem+json"}


def test_nested_errors_are_flattened_with_their_path() -> None:
    detail = {"investors": {1: {"slug": ["unknown"]}}, "non_field_errors": ["whole"], "x": "y"}
    assert field_errors(detail) == {
        "investors[1].slug": ["unknown"],
        "non_field_errors": ["whole"],
        "x": ["y"],
    }


def test_a_path_holding_a_line_break_is_a_problem_json_404(client: Client) -> None:
    response = client.get("/api/v1/rounds/%27x%0A%7F/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
