"""Cosine similarity over embedding rows, the one way every vector search here scores.

Imports numpy at once, so callers on the cold path import this module only
where they already need vectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from knowledge.shipped import Matrix

_TINY = 1e-12  # a zero vector stays zero instead of dividing by zero


def unit_rows(rows: Any) -> Matrix:
    """`rows` as float32, each scaled to unit length."""
    matrix = np.asarray(rows, dtype=np.float32)
    return np.asarray(matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), _TINY))


def cosine(unit_matrix: Matrix, query: Sequence[float]) -> Matrix:
    """Cosine similarity of `query` to every row of an already unit-length matrix."""
    q = np.asarray(query, dtype=np.float32)
    return np.asarray(unit_matrix @ (q / max(float(np.linalg.norm(q)), _TINY)))
