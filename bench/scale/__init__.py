"""The scale harness: real `ksb-coach serve` replicas on PostgreSQL and a Chroma server, bounded in time.

`make bench-scale` (or `python -m bench.scale [scenario ...] [--apprentices N]`)
starts a PostgreSQL schema, `chroma run` on a free local port with the index
built into it, and the fake Slack API; then each scenario starts its own
replicas, does something operations do to a running service, and prints
counts. Scenarios are registered in bench/scale/registry.py (its docstring
says how to add one); the scheduler's are in bench/scale/sends.py, the index's
(re-indexing under load, a Chroma outage) in bench/scale/index_ops.py.
"""
