"""relief's defaults for Prefect settings, applied where Prefect starts (relief run,
relief serve, python -m pipelines.deployments), never at import.

A setting the user gave (environment or Prefect profile) wins over these defaults.
"""

from __future__ import annotations

import contextlib
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
