"""Load the shared development evaluation sets (never used by the product code)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EVAL_DIR = Path(__file__).resolve().parents[2] / "shared" / "eval"


def load_jsonl(name: str) -> list[dict[str, Any]]:
    path = EVAL_DIR / name
    if not path.exists():
        raise SystemExit(f"evaluation data not found: {path}")
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
