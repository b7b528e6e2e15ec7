"""The code's layout rules, checked on the source: modules stay small, and rounds,
participations and sources are written on one path, the services."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("api", "companies", "config", "funding", "web")
MAX_LINES = 450


def _modules() -> list[Path]:
    return sorted(
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    )


def test_no_app_module_is_over_450_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in _modules()
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


WRITES = re.compile(
    r"formset\.save\(|super\(\)\.save_related\(|"
    r"\b(?:FundingRound|Participation|Source)\.objects\.(?:create|bulk_create|update_or_create|"
    r"get_or_create)\(|(?<!def )\brounds_changed\(\)"
)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_rounds_are_written_by_the_services_only(path: Path) -> None:
    if path.is_relative_to(ROOT / "funding" / "services"):
        return
    code = "\n".join(
        line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")
    )
    code = re.sub(r'"""[\s\S]*?"""', "", code)  # docstrings may name what they avoid
    assert WRITES.findall(code) == []


DATA_LAYER = ("models", "services", "selectors", "imports", "importers", "news")


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_data_layer_never_imports_web_code(path: Path) -> None:
    """Models, services, selectors and imports return data; views, the API and the shared
    web module (`web/`) sit on top of them, never under."""
    relative = path.relative_to(ROOT)
    if relative.parts[0] not in {"companies", "funding"}:
        return
    if not any(part.removesuffix(".py") in DATA_LAYER for part in relative.parts[1:]):
        return
    code = path.read_text()
    assert not re.findall(
        r"^\s*(?:from|import) (?:web|funding\.views|companies\.views|"
        r"funding\.tables|funding\.api|companies\.api)\b",
        code,
        re.M,
    )


def test_no_app_imports_another_apps_views_tables_or_round_filters() -> None:
    """Only `config/urls.py` routes to views. The company and investor pages have their
    own filters (`companies/filters.py`); the round filters build on those, never the
    other way round."""
    found = []
    for path in _modules():
        relative = path.relative_to(ROOT)
        if relative == Path("config/urls.py"):
            continue
        code = path.read_text()
        for other in ("companies", "funding"):
            if relative.parts[0] == other:
                continue
            modules = "views|tables" + ("|filters" if other == "funding" else "")
            pattern = rf"^\s*(?:from|import) {other}\.(?:{modules})\b|^\s*from {other} import"
            pattern += rf" (?:{modules})\b"
            if re.search(pattern, code, re.M):
                found.append(str(relative))
    assert found == []
