"""Synthetic relief cases with known truth (docs/synthetic-data.md).

No public data set holds Chinese consumer-credit relief requests, so relief ships
its own: every case's approval chance is drawn from a documented mechanism, so
every statistic and model can be checked against the truth.

mechanism.py   the time frame, sizes and every coefficient; the truth computed from them
generation.py  each block's hidden story and what an export on a given day shows of it
writers.py     streaming frames to CSV (en UTF-8, zh GB18030), CSV.gz or Parquet
updates.py     a later batch re-stating the cases of an earlier file that changed (read
               through the ingestion readers, sources/files.py)

The names below are the package's public face (`from pipelines import synth`).
"""

from pipelines.synth.generation import case_id_prefix, generate, true_decisions
from pipelines.synth.mechanism import (
    AS_OF,
    BLOCK_ROWS,
    CHANNEL_VALUES,
    DEFAULT_CHUNK_ROWS,
    DOC_COLUMNS,
    HARDSHIP_VALUES,
    HOLIDAYS,
    MONTHS_ROUTES,
    PRODUCT_VALUES,
    ROUTE_VALUES,
    START,
    TRUTH_FEATURES,
    UNKNOWN_RATE,
    UPDATES_AS_OF,
    mechanism_table,
    true_probability,
)
from pipelines.synth.updates import write_updates
from pipelines.synth.writers import write_cases

__all__ = [
    "AS_OF", "BLOCK_ROWS", "CHANNEL_VALUES", "DEFAULT_CHUNK_ROWS", "DOC_COLUMNS",
    "HARDSHIP_VALUES", "HOLIDAYS", "MONTHS_ROUTES", "PRODUCT_VALUES", "ROUTE_VALUES", "START",
    "TRUTH_FEATURES", "UNKNOWN_RATE", "UPDATES_AS_OF", "case_id_prefix", "generate",
    "mechanism_table", "true_decisions", "true_probability", "write_cases", "write_updates",
]
