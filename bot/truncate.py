"""Cut text to a platform's size limit without splitting a word or leaving a dangling escape."""

from __future__ import annotations


def truncate(text: str, size: int) -> str:
    """Cut to `size` characters on a word boundary, with an ellipsis when cut."""
    if len(text) <= size:
        return text
    cut = text[: max(size - 1, 0)]
    space = cut.rfind(" ")
    if space > size * 0.6:
        cut = cut[:space]
    return cut.rstrip(" \t\n\\") + "…"
