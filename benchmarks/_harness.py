"""Shared set-up for benchmarks: Django on a throwaway test database and an embedded Valkey,
and the result file format benchmarks/README.md describes."""

import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


@contextmanager
def django_environment() -> Iterator[None]:
    """Django with test settings, a fresh database and (unless REDIS_URL is set) its own Valkey."""
    sys.path[:0] = [str(ROOT / "platform"), str(ROOT)]
    os.environ["DJANGO_SETTINGS_MODULE"] = "core.settings.test"
    os.environ.setdefault("THROTTLE_USER", "1000000/min")
    valkey = None
    tmp = tempfile.TemporaryDirectory()
    if "REDIS_URL" not in os.environ:
        from core.valkey import valkey_command, valkey_wait

        sock = Path(tmp.name) / "valkey.sock"
        valkey = subprocess.Popen(valkey_command(sock), stdout=subprocess.DEVNULL)
        valkey_wait(sock, process=valkey)
        os.environ["REDIS_URL"] = f"unix://{sock}"
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        if valkey is not None:
            valkey.terminate()
            valkey.wait()
        tmp.cleanup()


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 3),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 3),
    }


def write_result(name: str, workload: dict, metrics: dict, baseline_name: str,
                 baseline: dict, ratios: dict) -> dict:
    from django.db import connection

    result = {
        "benchmark": name,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "system": platform.platform(), "database": connection.vendor},
        "workload": workload,
        "metrics": metrics,
        "baseline": {"name": baseline_name, "metrics": baseline},
        "ratios": ratios,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


class RecompileLimits(logging.Handler):
    """The functions for which dynamo logs that it hit its recompile limit (they run eagerly from
    then on: the compiled variant is then partly eager)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.functions: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "recompile_limit" in message:
            self.functions.add(message.split("function: ", 1)[-1].split(" (")[0].strip("'")
                               if "function: " in message else " ".join(message.split())[:200])


def cell(value: object, width: int, digits: int = 1) -> str:
    """A right-aligned table cell: "-" for None, floats to `digits` places."""
    if value is None:
        return f"{'-':>{width}}"
    if isinstance(value, float):
        return f"{value:>{width}.{digits}f}"
    return f"{value!s:>{width}}"
