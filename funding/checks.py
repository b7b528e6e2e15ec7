"""`manage.py check --database default`: stored URLs that break the web URL rule.

Every write path refuses them; these find what was written around the
application (raw SQL, an old version, a restored dump). Pages show such a URL
as plain text, never as a link, until it is fixed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.apps import AppConfig
from django.core import checks
from django.db import connections, models

from companies.links import WEB_URL_MESSAGE, is_web_url
from companies.models import Company, Investor
from funding.models import ImportSource, Source

SHOWN = 20  # ids listed per finding


def _bad(
    queryset: models.QuerySet[Any], *, owner: str, url: str, using: str
) -> tuple[int, list[Any]]:
    """How many rows hold a URL breaking the rule, and the first owners' ids.

    Reads every non-empty URL once (in batches): the rule is the validator's,
    not an approximation in SQL.
    """
    count = 0
    ids: list[Any] = []
    rows = queryset.using(using).exclude(**{url: ""}).values_list(owner, url).order_by(owner)
    for owner_id, value in rows.iterator(chunk_size=5000):
        if not is_web_url(value):
            count += 1
            if len(ids) < SHOWN and owner_id not in ids:
                ids.append(owner_id)
    return count, ids


@checks.register(checks.Tags.database)
def stored_urls_check(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Iterable[str] | None = None,
    **kwargs: Any,
) -> list[checks.CheckMessage]:
    """One error per kind of record holding URLs that break the web URL rule."""
    found: list[checks.CheckMessage] = []
    targets = [
        ("funding.E001", Source.objects.all(), "round_id", "url", "source URL", "rounds"),
        ("funding.E002", Company.objects.all(), "slug", "website", "website", "companies"),
        ("funding.E003", Investor.objects.all(), "slug", "website", "website", "investors"),
        ("funding.E004", ImportSource.objects.all(), "pk", "url", "URL", "import sources"),
    ]
    for using in databases or []:
        # `migrate` runs this check too, before it creates the tables.
        tables = set(connections[using].introspection.table_names())
        for check_id, queryset, owner, url, what, owners in targets:
            if queryset.model._meta.db_table not in tables:
                continue
            count, ids = _bad(queryset, owner=owner, url=url, using=using)
            if count:
                listed = ", ".join(str(i) for i in ids)
                found.append(
                    checks.Error(
                        f"{count} stored {what}{'s break' if count > 1 else ' breaks'} the "
                        f"web URL rule ({WEB_URL_MESSAGE}) in {owners}: {listed}"
                        f"{' …' if count > len(ids) else ''}",
                        hint="Correct or delete them in the admin; pages show them as plain text.",
                        id=check_id,
                    )
                )
    return found
