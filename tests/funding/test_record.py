"""The round record is declared once (funding/record.py): records, CSV, the API schema
and the pages' table headers all follow it."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from funding.api.serializers import RoundSerializer
from funding.models import FundingRound
from funding.record import CSV_COLUMNS, RECORD_KEYS, ROUND_RECORD, Kind
from funding.roundbook_format import csv_rows, round_records
from funding.tables import RoundTable
from tests.funding.test_api import csv_text


def test_every_scalar_field_is_a_model_field_of_a_known_kind() -> None:
    for field in ROUND_RECORD:
        if field.nested:
            continue
        assert FundingRound._meta.get_field(field.name) is field.model_field
        assert field.kind is not Kind.NESTED
        assert field.paths == (field.name,)
        assert field.csv_columns == (field.name,)


def test_the_api_serializer_has_the_records_fields_in_order() -> None:
    assert tuple(RoundSerializer().fields) == RECORD_KEYS


@pytest.mark.django_db
def test_records_csv_and_schema_follow_the_declaration(demo_data: None, client: Client) -> None:
    records = list(round_records(FundingRound.objects.order_by("id")))
    assert records
    assert all(tuple(record) == RECORD_KEYS for record in records)
    header, *rows = csv_rows(records)
    assert header == CSV_COLUMNS
    assert [c for f in ROUND_RECORD for c in f.csv_columns] == CSV_COLUMNS
    assert len(rows) == len(records)

    api = client.get("/api/v1/rounds/?format=csv&page_size=5")
    assert next(csv.reader(io.StringIO(csv_text(api)))) == CSV_COLUMNS
    schema = client.get("/api/schema/?format=json").json()
    assert tuple(schema["components"]["schemas"]["Round"]["properties"]) == RECORD_KEYS


@pytest.mark.django_db
def test_the_tables_headers_are_the_records_labels(demo_data: None, client: Client) -> None:
    assert RoundTable.headers == {
        "announced_on": "Date",
        "company": "Company",
        "stage": "Stage",
        "amount": "Amount",
        "post_money_valuation": "Post-money",
        "investors": "Investors",
    }
    page = client.get("/rounds/").content.decode()
    for name in ("company", "stage", "investors"):  # the headers that are not sort links
        assert f'<th scope="col">{RoundTable.headers[name]}</th>' in page
    assert '<span class="phone-label">Post-money </span>' in page
