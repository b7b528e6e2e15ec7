"""The funding app's models: rounds (`rounds.py`) and imports (`imports.py`)."""

from funding.models.imports import (
    ImportChunk,
    ImportFormat,
    ImportRowError,
    ImportRun,
    ImportSource,
    RoundKey,
)
from funding.models.rounds import (
    CURRENCY_CODES,
    DatePrecision,
    ExchangeRate,
    FundingRound,
    Participation,
    RoundStatus,
    Source,
    Stage,
    UsdBasis,
)

__all__ = [
    "CURRENCY_CODES",
    "DatePrecision",
    "ExchangeRate",
    "FundingRound",
    "ImportChunk",
    "ImportFormat",
    "ImportRowError",
    "ImportRun",
    "ImportSource",
    "Participation",
    "RoundKey",
    "RoundStatus",
    "Source",
    "Stage",
    "UsdBasis",
]
