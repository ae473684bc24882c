"""`ksb-coach` command groups: each group's parsers are light; its commands' modules load when they run."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def deferred(module: str, name: str) -> Callable[[Any], int]:
    """The command function `module.name`, imported only when it runs, so `ksb-coach --help` loads no storage."""

    def run(context: Any) -> int:
        return int(getattr(importlib.import_module(module), name)(context))

    return run
