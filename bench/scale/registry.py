"""The scenario registry: a scenario is a function of a running cluster that returns an `Outcome`.

To add one, write it in a module of bench/scale/ (sends.py holds the scheduler's),
decorate it with `@scenario("name", "what it proves")`, and list the module in
`SCENARIO_MODULES` (bench/scale/__main__.py). It gets a `Cluster` (PostgreSQL
schema, Chroma server with the index built, fake Slack API; no replicas yet)
and the run's `Size`; it starts the replicas it needs with
`cluster.start_replicas(n, SETTING="value", ...)`, must finish within its own
time bound, and reports counts as lines plus whether its aim was met. The
cluster stops the replicas after each scenario and resets the fake Slack API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bench.scale.cluster import Cluster


@dataclass(frozen=True)
class Size:
    """How big a run is: `make bench-scale` uses the defaults, the CI test a smaller one."""

    apprentices: int = 400
    replicas: int = 3
    lease: int = 30  # seconds; the smallest SCHEDULER_LEASE allowed, so a takeover comes soon
    interval: float = 2.0  # seconds between each replica's scheduler ticks


@dataclass
class Outcome:
    """What a scenario saw: printed lines, the counts behind them, and whether its aim was met."""

    name: str
    met: bool
    lines: list[str] = field(default_factory=list)
    counts: dict[str, float] = field(default_factory=dict)


Scenario = Callable[[Cluster, Size], Outcome]


@dataclass(frozen=True)
class Registered:
    name: str
    proves: str
    run: Scenario


SCENARIOS: dict[str, Registered] = {}


def scenario(name: str, proves: str) -> Callable[[Scenario], Scenario]:
    def register(run: Scenario) -> Scenario:
        if name in SCENARIOS:
            raise ValueError(f"scenario {name!r} is registered twice")
        SCENARIOS[name] = Registered(name, proves, run)
        return run

    return register
