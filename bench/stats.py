"""Percentiles for the benchmarks' printed figures (nearest rank, no interpolation)."""

from __future__ import annotations

from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def summary(values_ms: Sequence[float], *, tail: str = "p99", width: int = 6) -> str:
    """'p50 … ms  p95 … ms  p99|max … ms  (n=…)', the line every latency benchmark prints."""
    if not values_ms:
        return "no samples"
    last = max(values_ms) if tail == "max" else percentile(values_ms, 0.99)
    return (f"p50 {percentile(values_ms, 0.5):{width}.1f} ms  p95 {percentile(values_ms, 0.95):{width}.1f} ms  "
            f"{tail} {last:{width}.1f} ms  (n={len(values_ms)})")
