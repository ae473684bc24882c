"""Conversation scenarios scored through `ksb-coach chat --json` by the shared scorer, per kind.

Sets: the shared development scenarios, ours in `bench/data/` (`conversations_dev.jsonl`
and the entry scenarios are tuned on; `conversations_heldout.jsonl` and
`conversations_entries_heldout.jsonl` are kept aside and never tuned on). `conversations_fresh.jsonl`
(30 scenarios in new words, written before the bot was run on them) is tuned on;
`conversations_fresh_heldout.jsonl` (10 more, one per kind) is kept aside.
`python -m bench conversation` prints the scorer's line for each; `-v` lists failures.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.eval_data import DATA_DIR, EVAL_DIR

SCORER = EVAL_DIR / "score_chat.py"
SETS = (("dev (shared)", EVAL_DIR / "dev_conversations.jsonl"),
        ("dev (ours)", DATA_DIR / "conversations_dev.jsonl"),
        ("entries (ours)", DATA_DIR / "conversations_entries.jsonl"),
        ("held-out (ours)", DATA_DIR / "conversations_heldout.jsonl"),
        ("entries held-out (ours)", DATA_DIR / "conversations_entries_heldout.jsonl"),
        ("fresh (ours)", DATA_DIR / "conversations_fresh.jsonl"),
        ("fresh held-out (ours)", DATA_DIR / "conversations_fresh_heldout.jsonl"))


def score(path: Path, *, verbose: bool) -> str:
    """The scorer's output (figures only: a bench never gates); `ksb-coach` from this interpreter's environment."""
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
    args = [sys.executable, str(SCORER), str(path)] + (["-v"] if verbose else [])
    done = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    return (done.stdout + done.stderr).strip()


def main(verbose: bool = False) -> int:
    if not SCORER.exists():
        print(f"conversation: scorer not found at {SCORER}, skipped")
        return 0
    for name, path in SETS:
        if path.exists():
            print(f"== {name}: {path.name}\n{score(path, verbose=verbose)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(verbose="-v" in sys.argv))
