"""Share a token budget among the pieces of one entry, and cut a piece to its share.

Embedding time grows with the tokens embedded (about 1.4 ms a token for e5-small on
two cores), so a 4,000-character week costs over a second where a usual entry costs a
tenth of that. Its pieces (sentences, days) share one budget: a short one keeps all its
words and the longest are cut to a common length, so every piece is still embedded by
its opening words, where the entries we have seen say what was done. Cutting whole
activities instead lost the later sentences of a paired activity, and with them the
KSBs they evidenced.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

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


def within_budget(pieces: list[str], budget: int, count: TokenCount,
                  groups: Sequence[range] | None = None) -> list[str]:
    """Each group of `pieces` joined (each piece alone by default), its pieces cut to a common length so the
    joined texts hold at most `budget` tokens, counted as the embedder counts them.

    Every joined text costs the embedder's own tokens (its prefix and specials) once, so
    those are set aside before the pieces share the rest. A piece keeps at least its first
    word: a budget too small for that is overrun rather than a piece left out.
    """
    groups = groups or [range(n, n + 1) for n in range(len(pieces))]
    joined = [" ".join(pieces[n] for n in group) for group in groups]
    if sum(count(text) for text in joined) <= budget:
        return joined
    own = count("")
    lengths = [max(count(piece) - own, 0) for piece in pieces]
    cap = token_cap(lengths, budget - own * len(groups)) or max(lengths)
    while True:  # pieces joined may hold a token or two more than apart: tighten until they fit
        kept = [" ".join(cut(pieces[n], cap + own, count) for n in group) for group in groups]
        if cap <= 1 or sum(count(text) for text in kept) <= budget:
            return kept
        cap -= 1
