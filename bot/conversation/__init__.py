"""Holding a conversation: intent routing, follow-up context, comparisons and everyday turns."""
