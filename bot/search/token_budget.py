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


def word_costs(count: TokenCount) -> tuple[int, Callable[[str], int]]:
    """The embedder's own tokens (prefix, specials) in every text, and a word's tokens after another word.

    A text's count is its own tokens plus its words' (exactly so for e5's tokenizer on
    the entries we hold), so a text is cut by counting each distinct word once instead of
    counting the text again at every trial length: counting costs time in the length counted.
    """
    one, two = count("a"), count("a a")
    known: dict[str, int] = {}

    def cost(word: str) -> int:
        if word not in known:
            known[word] = count(f"a {word}") - one
        return known[word]

    return 2 * one - two, cost


def opening(words: list[str], sizes: list[int], limit: int) -> str:
    """The opening words whose sizes add up to at most `limit` (at least the first word)."""
    total = kept = 0
    for size in sizes:
        if kept and total + size > limit:
            break
        total += size
        kept += 1
    return " ".join(words[:kept])


def within_budget(pieces: list[str], budget: int, count: TokenCount,
                  groups: Sequence[range] | None = None) -> list[str]:
    """Each group of `pieces` joined (each piece alone by default), its pieces cut to a common length so the
    joined texts hold at most `budget` tokens, counted as the embedder counts them.

    Every joined text costs the embedder's own tokens once, so those are set aside before
    the pieces share the rest. A piece keeps at least its first word: a budget too small
    for that is overrun rather than a piece left out.
    """
    groups = groups or [range(n, n + 1) for n in range(len(pieces))]
    own, cost = word_costs(count)
    words = [piece.split() for piece in pieces]
    sizes = [[cost(word) for word in piece] for piece in words]
    lengths = [sum(piece) for piece in sizes]
    cap = token_cap(lengths, budget - own * len(groups))
    if cap is None:
        return [" ".join(pieces[n] for n in group) for group in groups]
    while True:  # should a tokenizer count joined words as more than apart: tighten until they fit
        kept = [" ".join(opening(words[n], sizes[n], cap) for n in group) for group in groups]
        if cap <= 1 or sum(count(text) for text in kept) <= budget:
            return kept
        cap -= 1
