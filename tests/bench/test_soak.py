"""The soak's traffic mix (bench/soak.py)."""

from __future__ import annotations

from collections import Counter

import pytest

from bench.soak import weighted_paths


def test_the_mix_is_80_api_15_pages_5_details() -> None:
    paths = weighted_paths({"api": ["/api/a", "/api/b"], "pages": ["/p"], "details": ["/d"]})
    counts = Counter(path.split("/")[1] for path in paths)
    assert counts == {"api": 80, "p": 15, "d": 5}
    assert paths.count("/api/a") == paths.count("/api/b") == 40


def test_a_group_without_paths_is_an_error() -> None:
    with pytest.raises(ValueError, match="no details paths"):
        weighted_paths({"api": ["/a"], "pages": ["/p"], "details": []})
