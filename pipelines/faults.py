"""Fault-injection points for the crash-safety tests (tests/test_operations.py).

Inert unless an environment variable names the point:
- RELIEF_TEST_PAUSE_AT=<point>: sleep there (up to 10 minutes) after writing
  `<point>` into the file named by RELIEF_TEST_PAUSE_SIGNAL, so a test knows the
  process has reached the point and can SIGKILL it there.
- RELIEF_TEST_FAIL_AT=<point>:<n>: raise a transient OSError the first n times the
  point is reached in this process (to exercise retries with backoff).

Points: read (a file is read, not yet loaded), load (inside the load transaction,
before commit), publish (the new analysts' copy written, not yet renamed),
model and report (at the start of those stages).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

_failures: dict[str, int] = {}


def point(name: str) -> None:
    if os.environ.get("RELIEF_TEST_PAUSE_AT") == name:
        signal_file = os.environ.get("RELIEF_TEST_PAUSE_SIGNAL")
        if signal_file:
            Path(signal_file).write_text(name)
        time.sleep(600)
    planned = os.environ.get("RELIEF_TEST_FAIL_AT", "")
    if planned.partition(":")[0] == name:
        _failures[name] = _failures.get(name, 0) + 1
        if _failures[name] <= int(planned.partition(":")[2] or 1):
            raise OSError(f"injected transient I/O error at {name} (RELIEF_TEST_FAIL_AT)")
