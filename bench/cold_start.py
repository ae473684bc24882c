"""Cold start: whole `ksb-coach` processes as a user runs them, median of 5, against the aims of issue 16.

Each command runs in a fresh process on a fresh DATA_DIR whose index was first
built from the shipped vectors (that first build is timed too), so the figures
include every import, the settings, the database and the index each path opens.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 5
CASES = (  # (label, arguments, aim in seconds)
    ("--help", ["--help"], 0.3),
    ("ask by id", ["ask", "what counts for S24?"], 1.0),
    ("ask, free text", ["ask", "how do I show I'm keeping an eye on data drift in production"], 2.0),
    ("reflect", ["reflect", "Set up Evidently dashboards to watch feature drift on the churn model; 2 hours"], 2.5),
)


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one fresh process; CPU stays honest on a busy machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def medians(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    runs = [timed(args, env) for _ in range(RUNS)]
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def main() -> None:
    print(f"== cold start: fresh process, median of {RUNS} ==")
    with tempfile.TemporaryDirectory(prefix="ksb-cold-") as data_dir:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
        env.update(DATA_DIR=str(Path(data_dir)), EMBEDDER="")
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall times grow with it)")
        first, first_cpu = timed(["index"], env)
        print(f"{'index, first (shipped vectors)':32} wall {first:6.2f} s  cpu {first_cpu:5.2f} s")
        wall, cpu = medians(["index"], env)
        print(f"{'index, already current':32} wall {wall:6.2f} s  cpu {cpu:5.2f} s")
        for label, args, aim in CASES:
            wall, cpu = medians(args, env)
            verdict = "within" if wall < aim else "OVER"
            print(f"{label:32} wall {wall:6.2f} s  cpu {cpu:5.2f} s   aim < {aim:.1f} s: {verdict}")


if __name__ == "__main__":
    main()
