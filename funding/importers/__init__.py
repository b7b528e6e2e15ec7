"""Readers of import files: one module per format behind the `Importer` interface.

An importer turns a `Bundle` (one file, or the files of a bulk export) into
`RoundRow`s and `RowError`s. It never raises on bad input and never touches
the database; `funding.imports` applies the rows through the services.
"""

from __future__ import annotations

from funding.importers.base import Bundle, Importer, NotTheFormatError, RoundRow, RowError
from funding.importers.crunchbase import CrunchbaseImporter
from funding.importers.roundbook import RoundbookImporter

IMPORTERS: dict[str, Importer] = {
    "crunchbase": CrunchbaseImporter(),
    "roundbook": RoundbookImporter(),
}


def importer_for(bundle: Bundle, format_name: str = "") -> Importer:
    """The importer named, or the one that recognises the bundle's header."""
    if format_name:
        importer = IMPORTERS[format_name]
        if not importer.detect(bundle):
            raise NotTheFormatError(f"{bundle.describe()} is not a {format_name} file.")
        return importer
    for importer in IMPORTERS.values():
        if importer.detect(bundle):
            return importer
    raise NotTheFormatError(
        f"{bundle.describe()} is not a file Roundbook can import: its header is neither "
        "a Crunchbase export (funding rounds) nor Roundbook's own format."
    )


__all__ = ["IMPORTERS", "Bundle", "Importer", "NotTheFormatError", "RoundRow", "RowError"]
