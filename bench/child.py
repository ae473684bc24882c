"""Run a load generator in its own process, so it never shares the server's event loop or GIL."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable, Coroutine
from typing import Any


def _run(fire: Callable[..., Coroutine[Any, Any, Any]], args: tuple[Any, ...], out: Any) -> None:
    out.put(asyncio.run(fire(*args)))


def run_in_child(fire: Callable[..., Coroutine[Any, Any, Any]], *args: Any) -> Any:
    """`fire(*args)` in a spawned process; `fire` must be a module-level coroutine function."""
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    child = context.Process(target=_run, args=(fire, args, out))
    child.start()
    result = out.get()
    child.join()
    return result
