"""relief's defaults for Prefect settings, applied where Prefect starts (relief run,
relief serve, python -m pipelines.deployments), never at import.

A setting the user gave (environment or Prefect profile) wins over these defaults.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator

DEFAULTS = {
    # The temporary API server needs more than Prefect's default 20 s to start on a
    # busy two-core machine.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": 120,
    # No telemetry from a machine that may have no route out.
    "PREFECT_SERVER_ANALYTICS_ENABLED": False,
}


@contextlib.contextmanager
def applied(**more) -> Iterator[None]:
    """Prefect's current settings with relief's defaults (and `more`: name -> value)
    for the work inside; flow-run subprocesses and Prefect's own servers inherit them."""
    import prefect.settings as ps
    from prefect.settings.profiles import load_current_profile

    profile = load_current_profile()
    given = set(os.environ) | {setting.name for setting in profile.settings}
    updates = {getattr(ps, name): value for name, value in DEFAULTS.items() if name not in given}
    updates |= {getattr(ps, name): value for name, value in more.items()}
    with ps.temporary_settings(updates=updates):
        yield


class _WithoutTraceback(logging.Formatter):
    """Another formatter's lines with the traceback left out (the message stays)."""

    def __init__(self, inner: logging.Formatter | None):
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info = record.exc_text = record.stack_info = None
        try:
            return self.inner.format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


@contextlib.contextmanager
def console_without_tracebacks() -> Iterator[None]:
    """Prefect's terminal log lines without tracebacks, for commands that promise none
    (`relief run`): a failed task still logs its one-line error on the terminal, and the
    whole traceback still reaches the Prefect server's log (its handlers come first)."""
    from prefect.logging.handlers import PrefectConsoleHandler

    handlers = [h for h in logging.getLogger().handlers if isinstance(h, PrefectConsoleHandler)]
    saved = [h.formatter for h in handlers]
    for handler in handlers:
        handler.setFormatter(_WithoutTraceback(handler.formatter))
    try:
        yield
    finally:
        for handler, formatter in zip(handlers, saved, strict=True):
            handler.setFormatter(formatter)
