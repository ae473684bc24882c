"""`make bench`: run every benchmark module's main() that exists, in order.

A module that is not there yet (the adapters' and scheduler's benches are
written by other people) is skipped; one that fails is reported and the rest
still run, so one broken bench never hides the others' figures. Exit status
is 1 when any bench failed. `python -m bench load_test latency` runs a subset.
"""

from __future__ import annotations

import importlib
import sys
import time
import traceback
from collections.abc import Sequence

MODULES = ("cold_start", "retrieval", "programme", "conversation", "latency", "tagging", "progress",
           "portfolio_bench", "slack_bench", "teams_bench", "agent_bench", "schedule_bench", "load_test")


def run(name: str) -> str:
    """'ok', 'skipped' or 'failed' for one bench module."""
    qualified = f"bench.{name}"
    try:
        module = importlib.import_module(qualified)
    except ModuleNotFoundError as exc:
        if exc.name == qualified:
            print(f"-- {name}: not present, skipped")
            return "skipped"
        traceback.print_exc()
        return "failed"
    except Exception:  # noqa: BLE001 - an import-time error is that bench's failure only
        traceback.print_exc()
        return "failed"
    entry = getattr(module, "main", None)
    if not callable(entry):
        print(f"-- {name}: no main(), skipped")
        return "skipped"
    start = time.perf_counter()
    try:
        result = entry()
    except SystemExit as exc:
        result = exc.code
    except Exception:  # noqa: BLE001 - report and carry on with the next bench
        traceback.print_exc()
        return "failed"
    finally:
        sys.stdout.flush()
    status = "failed" if isinstance(result, int) and result != 0 else "ok"
    print(f"-- {name}: {status} in {time.perf_counter() - start:.1f} s")
    return status


def main(argv: Sequence[str] | None = None) -> int:
    names = list(argv if argv is not None else sys.argv[1:]) or list(MODULES)
    unknown = [n for n in names if n not in MODULES]
    if unknown:
        print(f"unknown bench {', '.join(unknown)}; choose from {', '.join(MODULES)}", file=sys.stderr)
        return 2
    results = {name: run(name) for name in names}
    print("== bench summary: " + "  ".join(f"{n}={s}" for n, s in results.items()))
    return 1 if "failed" in results.values() else 0


if __name__ == "__main__":
    sys.exit(main())
