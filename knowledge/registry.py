"""Find and load standards: the bundled ones plus any added under the data directory."""

from __future__ import annotations

import dataclasses
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from knowledge.guidance import Guidance, load_guidance
from knowledge.json_loader import load_standard_json
from knowledge.model import Standard
from knowledge.text_loader import StandardFormatError, load_standard_text

BUNDLED_DIR = Path(__file__).parent / "standards"
GUIDANCE_DIR = Path(__file__).parent / "guidance"
VECTORS_DIR = Path(__file__).parent / "vectors"


@dataclass(frozen=True)
class Knowledge:
    """A standard with its guidance: everything the coach is grounded on."""

    standard: Standard
    guidance: Guidance
    source_text: str


def _load_file(path: Path) -> Standard:
    if path.suffix == ".json":
        standard = load_standard_json(path)
    else:
        standard = load_standard_text(path)
    meta_path = path.with_suffix(".yaml")
    if meta_path.exists():
        meta = yaml.safe_load(meta_path.read_text(encoding="utf-8")) or {}
        standard = dataclasses.replace(
            standard,
            minimum_otj_hours=meta.get("minimum_otj_hours", standard.minimum_otj_hours),
            version=str(meta.get("version", standard.version)),
            status=str(meta.get("status", standard.status)),
            _by_id={},
        )
    return standard


class StandardRegistry:
    def __init__(self, *, added_dir: Path) -> None:
        self._added_dir = added_dir

    def _files(self) -> dict[str, Path]:
        files: dict[str, Path] = {}
        for folder in (BUNDLED_DIR, self._added_dir):
            if folder.is_dir():
                for path in sorted(folder.iterdir()):
                    if path.suffix in {".txt", ".json"}:
                        files[path.stem.lower()] = path
        return files

    def references(self) -> list[str]:
        return sorted(key.upper() for key in self._files())

    def is_bundled(self, reference: str) -> bool:
        """Bundled standards ship their vectors (knowledge/vectors/); added ones are embedded here."""
        path = self._files().get(reference.lower())
        return path is not None and path.parent == BUNDLED_DIR

    def shipped_vectors(self, reference: str) -> Path | None:
        """Where a bundled standard's shipped vectors are (`knowledge/shipped.py`); None for an added one."""
        return VECTORS_DIR / f"{reference.lower()}.npz" if self.is_bundled(reference) else None

    def bundled_references(self) -> list[str]:
        return [r for r in self.references() if self.is_bundled(r)]

    def load(self, reference: str) -> Knowledge:
        path = self._files().get(reference.lower())
        if path is None:
            known = ", ".join(self.references()) or "none"
            raise KeyError(f"no standard {reference!r}; available: {known}")
        standard = _load_file(path)
        guidance = load_guidance(GUIDANCE_DIR / f"{path.stem.lower()}.yaml")
        added_guidance = self._added_dir / f"{path.stem.lower()}.guidance.yaml"
        if added_guidance.exists():
            guidance = load_guidance(added_guidance)
        return Knowledge(standard=standard, guidance=guidance, source_text=path.read_text("utf-8"))

    def add(self, source: Path) -> Standard:
        """Validate a standard file, then copy it in under its own reference."""
        standard = load_standard_json(source) if source.suffix == ".json" else load_standard_text(source)
        if not standard.reference:
            raise StandardFormatError("the standard has no reference number")
        self._added_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, self._added_dir / f"{standard.slug}{source.suffix}")
        return standard
