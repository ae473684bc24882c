"""Share a token budget among the texts of one entry, and cut a text to its share.

Embedding time grows with the tokens embedded (about 1.4 ms a token for e5-small on
two cores), so a 4,000-character week costs over a second where a usual entry costs a
tenth of that. Its activities share one budget: a short one keeps all its tokens and
the longest are cut to a common length, so each activity is still embedded by its
opening words, where the entries we have seen say what was done.
"""

from __future__ import annotations

from collections.abc import Callable

TokenCount = Callable[[str], int]


def token_cap(counts: list[int], budget: int) -> int | None:
    """The largest length each text may keep so the texts hold at most `budget` tokens; None when all fit.

    Water-filling: texts shorter than an equal share keep their length and pass what
    they leave on to the rest.
    """
    if sum(counts) <= budget:
        return None
    left, remaining = budget, len(counts)
    for count in sorted(counts):
        share = left // remaining
        if count > share:
            return max(share, 1)
        left -= count
        remaining -= 1
    return max(left, 1)  # not reached: the texts fit, handled above


def cut(text: str, limit: int, count: TokenCount) -> str:
    """The longest opening run of `text`'s words that is at most `limit` tokens (at least its first word)."""
    if count(text) <= limit:
        return text
    words = text.split()
    low, high = 1, len(words) - 1  # `low` words always kept; the whole text is known too long
    while low < high:
        middle = (low + high + 1) // 2
        if count(" ".join(words[:middle])) <= limit:
            low = middle
        else:
            high = middle - 1
    return " ".join(words[:low])


def within_budget(texts: list[str], budget: int, count: TokenCount) -> list[str]:
    """`texts` cut so that together they hold at most `budget` tokens (counted as the embedder counts them)."""
    cap = token_cap([count(t) for t in texts], budget)
    return texts if cap is None else [cut(t, cap, count) for t in texts]
