"""Find and load standards: the bundled ones, plus those added at run time.

Added standards live in the database (`AddedStandards`, wired in bot/wiring.py),
so a standard added on one replica is there for every replica at once. Files
under DATA_DIR/standards, where older versions stored them, are still read."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import yaml

from knowledge.guidance import Guidance, load_guidance
from knowledge.json_loader import load_standard_json, parse_standard_json
from knowledge.model import Standard
from knowledge.text_loader import StandardFormatError, load_standard_text, parse_standard_text

BUNDLED_DIR = Path(__file__).parent / "standards"
GUIDANCE_DIR = Path(__file__).parent / "guidance"
VECTORS_DIR = Path(__file__).parent / "vectors"


class UnknownStandard(KeyError):
    """No standard has this reference; the message is one line naming the ones there are."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown standard"


class AddedStandards(Protocol):
    """Where standards added at run time are kept: (format, source text) by reference."""

    def references(self) -> list[str]: ...

    def get(self, reference: str) -> tuple[str, str] | None: ...

    def put(self, reference: str, format: str, source: str) -> None: ...


def parse_source(format: str, source: str, *, name: str) -> Standard:
    """A standard from a file's text: "json" (apprenticeship-standards API shape) or "txt"."""
    if format != "json":
        return parse_standard_text(source)
    try:
        data = json.loads(source)
    except json.JSONDecodeError as exc:
        raise StandardFormatError(f"{name} is not valid JSON: {exc.msg} (line {exc.lineno})") from exc
    if not isinstance(data, dict):
        raise StandardFormatError(f"{name}: expected a JSON object at the top level")
    return parse_standard_json(data)


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
    def __init__(self, *, added_dir: Path, added: AddedStandards | None = None) -> None:
        self._added_dir = added_dir
        self._added = added

    def _files(self) -> dict[str, Path]:
        files: dict[str, Path] = {}
        for folder in (BUNDLED_DIR, self._added_dir):
            if folder.is_dir():
                for path in sorted(folder.iterdir()):
                    if path.suffix in {".txt", ".json"}:
                        files[path.stem.lower()] = path
        return files

    def references(self) -> list[str]:
        stored = self._added.references() if self._added is not None else []
        return sorted({key.upper() for key in self._files()} | {r.upper() for r in stored})

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
            return self._load_added(reference)
        standard = _load_file(path)
        guidance = load_guidance(GUIDANCE_DIR / f"{path.stem.lower()}.yaml")
        added_guidance = self._added_dir / f"{path.stem.lower()}.guidance.yaml"
        if added_guidance.exists():
            guidance = load_guidance(added_guidance)
        return Knowledge(standard=standard, guidance=guidance, source_text=path.read_text("utf-8"))

    def _load_added(self, reference: str) -> Knowledge:
        found = self._added.get(reference) if self._added is not None else None
        if found is None:
            known = ", ".join(self.references()) or "none"
            raise UnknownStandard(f"no standard {reference!r}; available: {known} "
                                  f"(add one with `ksb-coach standards add FILE`)")
        format, source = found
        standard = parse_source(format, source, name=reference)
        guidance = load_guidance(self._added_dir / f"{standard.slug}.guidance.yaml")
        return Knowledge(standard=standard, guidance=guidance, source_text=source)

    def add(self, source: Path) -> Standard:
        """Validate a standard file, then store it under its own reference (in the database when wired)."""
        standard = load_standard_json(source) if source.suffix == ".json" else load_standard_text(source)
        if not standard.reference:
            raise StandardFormatError("the standard has no reference number")
        text = source.read_text("utf-8")
        if self._added is not None:
            self._added.put(standard.reference, "json" if source.suffix == ".json" else "txt", text)
            return standard
        self._added_dir.mkdir(parents=True, exist_ok=True)
        (self._added_dir / f"{standard.slug}{source.suffix}").write_text(text, "utf-8")
        return standard
