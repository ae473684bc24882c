"""`python -m bench.scale [--apprentices N] [--replicas N] [scenario ...]`: run the scale scenarios.

With no names, every registered scenario runs, in registration order, in one
cluster. Exit status 1 when any scenario missed its aim or failed.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import traceback
from collections.abc import Sequence

from bench.scale.cluster import cluster
from bench.scale.registry import SCENARIOS, Outcome, Size

SCENARIO_MODULES = ("bench.scale.sends", "bench.scale.index_ops")  # add a module here to register its scenarios


def load() -> None:
    for name in SCENARIO_MODULES:
        importlib.import_module(name)


def run(names: Sequence[str], size: Size) -> list[Outcome]:
    """Run the named scenarios in one cluster; a scenario that raises is reported as not met."""
    outcomes: list[Outcome] = []
    with cluster() as running:
        for name in names:
            started = time.monotonic()
            try:
                outcome = SCENARIOS[name].run(running, size)
            except Exception as exc:  # noqa: BLE001 - one broken scenario must not hide the others
                traceback.print_exc()
                outcome = Outcome(name, met=False, lines=[f"failed: {type(exc).__name__}: {exc}"])
            finally:
                running.stop_replicas()
                running.slack.reset()
            outcomes.append(outcome)
            print(f"-- {name}: {'aim met' if outcome.met else 'AIM NOT MET'} "
                  f"({time.monotonic() - started:.0f} s with replica start-up)")
            for line in outcome.lines:
                print(f"   {line}")
            sys.stdout.flush()
    return outcomes


def main(argv: Sequence[str] | None = None) -> int:
    load()
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("scenarios", nargs="*", help=f"any of: {', '.join(SCENARIOS)} (default: all)")
    parser.add_argument("--apprentices", type=int, default=Size.apprentices)
    parser.add_argument("--replicas", type=int, default=Size.replicas)
    args = parser.parse_args(argv)
    unknown = [n for n in args.scenarios if n not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    size = Size(apprentices=args.apprentices, replicas=args.replicas)
    load_average = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"== scale: {size.replicas} `ksb-coach serve` replicas, PostgreSQL, `chroma run`, "
          f"fake Slack API == (load average {load_average} on {os.cpu_count()} cores)")
    for name, registered in SCENARIOS.items():
        if not args.scenarios or name in args.scenarios:
            print(f"   {name}: {registered.proves}")
    outcomes = run(args.scenarios or list(SCENARIOS), size)
    return 0 if all(o.met for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
