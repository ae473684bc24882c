"""The LLM mode as a tool-using agent: the offline coach's own functions are its tools and its fallback.

`stream` (the streaming port adapters implement) has no heavy imports; `loop`,
`tools` and `history` need langchain-core and are only imported with a model configured.
"""
