"""Vectors of the bundled standards, embedded once by developers and shipped in the package.

Embedding a standard's ~1,100 documents takes about two minutes on two cores;
loading them from here takes well under a second. Each vector is keyed by its
text's hash (`knowledge.documents.text_key`), so an edited guidance entry or an
added standard re-embeds only the texts that have no vector yet. A file records
the embedder that made it and is never used for another one.

Format: one compressed `.npz` per bundled standard with `keys` (text hashes),
`vectors` (float16, one row per key) and `meta` (JSON: format, embedder, inputs
hash, checksum of keys and vectors). Regenerate with `ksb-coach index --write-shipped`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)
FORMAT = 1
REGENERATE = "ksb-coach index --write-shipped"

Matrix = npt.NDArray[np.float32]


class ShippedVectorsError(Exception):
    """A shipped file that cannot be used, with a reason fit for a one-line warning."""


@dataclass(frozen=True)
class ShippedVectors:
    embedder: str
    inputs: str
    keys: tuple[str, ...]
    matrix: Matrix

    def lookup(self, keys: list[str]) -> dict[str, list[float]]:
        """The vectors this file holds for `keys`; keys it lacks are left out."""
        rows = {key: n for n, key in enumerate(self.keys)}
        return {key: self.matrix[rows[key]].tolist() for key in keys if key in rows}


def _checksum(keys: npt.NDArray[np.str_], vectors: npt.NDArray[np.float16]) -> str:
    digest = hashlib.sha256("\n".join(keys.tolist()).encode("ascii"))
    digest.update(np.ascontiguousarray(vectors).tobytes())
    return digest.hexdigest()


def read_shipped(path: Path) -> ShippedVectors:
    if not path.exists():
        raise ShippedVectorsError(f"{path.name} is missing")
    try:
        with np.load(path, allow_pickle=False) as data:
            keys, vectors, meta = data["keys"], data["vectors"], json.loads(str(data["meta"]))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
        raise ShippedVectorsError(f"{path.name} is unreadable ({type(exc).__name__}: {exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ShippedVectorsError(f"{path.name} has an unknown format")
    if vectors.ndim != 2 or vectors.dtype != np.float16 or len(keys) != len(vectors):
        raise ShippedVectorsError(f"{path.name} has mismatched keys and vectors")
    if meta.get("checksum") != _checksum(keys, vectors):
        raise ShippedVectorsError(f"{path.name} is corrupt (checksum mismatch)")
    return ShippedVectors(embedder=str(meta.get("embedder", "")), inputs=str(meta.get("inputs", "")),
                          keys=tuple(keys.tolist()), matrix=vectors.astype(np.float32))


def shipped_lookup(path: Path | None, *, embedder: str, keys: list[str]) -> dict[str, list[float]]:
    """The vectors a shipped file holds for `keys`, when it is readable and made by `embedder`; else none.

    A file that cannot be used is said once in a warning; the caller embeds instead.
    """
    if path is None:
        return {}
    try:
        shipped = read_shipped(path)
    except ShippedVectorsError as exc:
        log.warning("Shipped vectors not used: %s; embedding instead (developers: %s).", exc, REGENERATE)
        return {}
    if shipped.embedder != embedder:
        log.warning("Shipped vectors in %s were made by %s, not %s; embedding instead.",
                    path.name, shipped.embedder, embedder)
        return {}
    return shipped.lookup(keys)


def write_shipped(path: Path, *, embedder: str, inputs: str, vectors: dict[str, list[float]]) -> None:
    """Write atomically, so a reader (or an interrupted writer) never leaves half a file."""
    ordered = sorted(vectors)
    keys = np.array(ordered, dtype=np.str_)
    matrix = np.array([vectors[k] for k in ordered], dtype=np.float16)
    meta = {"format": FORMAT, "embedder": embedder, "inputs": inputs, "count": len(ordered),
            "checksum": _checksum(keys, matrix)}
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as out:
        np.savez_compressed(out, keys=keys, vectors=matrix, meta=np.array(json.dumps(meta, sort_keys=True)))
    os.replace(partial, path)
