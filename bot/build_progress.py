"""Index builds drawn as tqdm bars on stderr: one bar per stage, with tqdm's time-left estimate."""

from __future__ import annotations

from typing import Any


class ProgressBar:
    """A `knowledge.index.BuildProgress`: starts a new bar whenever the stage (what is happening) changes."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._what = ""

    def __call__(self, what: str, done: int, total: int) -> None:
        if what != self._what:
            from tqdm import tqdm  # only when a build runs: most commands never draw a bar

            self.close()
            self._what = what
            self._bar = tqdm(total=total, desc=what, unit="doc", mininterval=0.5)
        self._bar.n = done
        self._bar.refresh()
        if done >= total:
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
