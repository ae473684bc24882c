"""The thread as the model sees it: the latest stored turns that fit a token budget, oldest first.

The turns come from the database (`Context.turns`), so any replica sends the same thread.
The person's earlier words stay delimited data; the coach's earlier answers are its own.
"""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from bot.conversation.context import Turn
from bot.grounding import delimit
from bot.prompt_files import render

CHARS_PER_TOKEN = 4  # a safe estimate for English; no tokenizer download


def tokens(text: str) -> int:
    return len(text) // CHARS_PER_TOKEN + 1


def thread_messages(turns: Sequence[Turn], *, budget: int) -> list[BaseMessage]:
    """The newest turns whose words fit `budget` tokens, as alternating messages in thread order."""
    kept: list[BaseMessage] = []
    used = 0
    for turn in reversed(turns):
        asked = render("agent_history_user.md", text=delimit(turn.asked))
        cost = tokens(asked) + tokens(turn.answered)
        if used + cost > budget:
            break
        used += cost
        kept[:0] = [HumanMessage(content=asked), AIMessage(content=turn.answered)]
    return kept
