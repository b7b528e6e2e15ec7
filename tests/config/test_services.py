"""CI runs on the real servers: these fail under REQUIRE_SERVICES=1 if they are missing."""

from __future__ import annotations

import pytest
import redis
from django.db import connection


@pytest.mark.django_db
def test_the_database_is_postgresql_when_required(postgres: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version_num')::int")
        (version,) = cursor.fetchone()
    assert version >= 150000


def test_the_broker_answers(celery_broker: str) -> None:
    assert redis.Redis.from_url(celery_broker).ping() is True
