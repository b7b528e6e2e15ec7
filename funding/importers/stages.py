"""The one table from the stage labels of every Crunchbase layout to Roundbook stages.

Labels are compared after `label_key` (case-folded, anything but letters and
digits as "_"), so `Series A`, `series_a` and `SERIES-A` are one label. The
2.x export's `venture` type with a `funding_round_code` X is read as the label
`Series X`; without a code it is `venture`. The README shows this table.
"""

from __future__ import annotations

import functools
import re

from funding.models import Stage

# label (as written in an export) -> stage
STAGE_LABELS: dict[str, str] = {
    # v4 `investment_type` values and Roundbook's own stage names
    **{stage: stage for stage in Stage.values},
    # Pro web-UI `Funding Type` and 2.x `funding_round_type` labels
    "Pre-Seed": Stage.PRE_SEED,
    "Seed": Stage.SEED,
    "Angel": Stage.ANGEL,
    **{f"Series {letter}": f"series_{letter.lower()}" for letter in "ABCDEFGHIJ"},
    "Venture - Series Unknown": Stage.SERIES_UNKNOWN,
    "Venture": Stage.SERIES_UNKNOWN,
    "Funding Round": Stage.UNDISCLOSED,
    "Corporate Round": Stage.CORPORATE_ROUND,
    "Convertible Note": Stage.CONVERTIBLE_NOTE,
    "Debt Financing": Stage.DEBT_FINANCING,
    "Equity Crowdfunding": Stage.EQUITY_CROWDFUNDING,
    "Product Crowdfunding": Stage.PRODUCT_CROWDFUNDING,
    "Grant": Stage.GRANT,
    "Non-equity Assistance": Stage.NON_EQUITY_ASSISTANCE,
    "Initial Coin Offering": Stage.INITIAL_COIN_OFFERING,
    "Private Equity": Stage.PRIVATE_EQUITY,
    "Secondary Market": Stage.SECONDARY_MARKET,
    "Post-IPO Equity": Stage.POST_IPO_EQUITY,
    "Post-IPO Debt": Stage.POST_IPO_DEBT,
    "Post-IPO Secondary": Stage.POST_IPO_SECONDARY,
    "Undisclosed": Stage.UNDISCLOSED,
    # 2.x spellings
    "crowdfunding": Stage.EQUITY_CROWDFUNDING,
    "debt": Stage.DEBT_FINANCING,
}


def label_key(label: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", label.casefold()).strip("_")


_BY_KEY = {label_key(label): str(stage) for label, stage in STAGE_LABELS.items()}


def stage_for(label: str, code: str = "") -> str | None:
    """The stage a label means, or None. `code` is the 2.x funding_round_code."""
    if len(label) + len(code) > 100:  # no label is this long: not worth remembering
        return _stage_for(label, code)
    return _remembered_stage_for(label, code)


def _stage_for(label: str, code: str) -> str | None:
    code = code.strip()
    if code and label_key(label) == "venture":
        label = f"Series {code}"
    return _BY_KEY.get(label_key(label))


# An export repeats a few dozen labels on every row.
_remembered_stage_for = functools.lru_cache(maxsize=256)(_stage_for)
