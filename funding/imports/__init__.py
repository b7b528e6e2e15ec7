"""Import runs: read a file into chunks, then apply each chunk in one transaction.

`import_run_prepare` streams the file through its importer and stores the
parsed rows as `ImportChunk`s (and each unreadable row as an
`ImportRowError`); `import_chunk_apply` applies one chunk through the round
services. Each step is idempotent, so a task that is delivered twice, or
re-run after its worker died, changes nothing the second time: a chunk is
marked applied in the same transaction that applies it, and the chunks of a
run are applied one at a time (the run row is locked) so two chunks never
create the same company twice.

Matching a row to a round, in order: the round the record came from (a
Roundbook export's id, same company); a round that carries the row's
external key; a likely duplicate (same company and stage, announced within
30 days, amounts within 5%), which is updated. A round of the same company
and stage within 30 days whose amount differs more, or is unknown on one
side, is not certain: the row is created with status `needs_review`. Imports
fill and correct fields; they never erase a known value or remove an investor
or a source.
"""

from funding.imports.matching import DUPLICATE_AMOUNT_SHARE, DUPLICATE_DAYS
from funding.imports.runs import (
    ANALYZE_AFTER_ROWS,
    import_chunk_apply,
    import_run_create,
    import_run_fail,
    import_run_prepare,
    import_run_resume,
    import_runs_stalled,
    import_source_start,
    import_sources_due,
)

__all__ = [
    "ANALYZE_AFTER_ROWS",
    "DUPLICATE_AMOUNT_SHARE",
    "DUPLICATE_DAYS",
    "import_chunk_apply",
    "import_run_create",
    "import_run_fail",
    "import_run_prepare",
    "import_run_resume",
    "import_runs_stalled",
    "import_source_start",
    "import_sources_due",
]
