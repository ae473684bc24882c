"""Real HTTP stand-ins for external APIs, shared by tests and benchmarks."""

from tests.fakes.base import FakeServer, Fault, RecordedCall
from tests.fakes.bot_connector import FakeBotConnector, make_activity
from tests.fakes.openai_server import (
    Chunks,
    Delay,
    FakeOpenAI,
    Garbage,
    Status,
    ToolCall,
    ToolCalls,
    fake_embedding,
    hang,
)
from tests.fakes.slack_api import FakeSlackAPI

__all__ = [
    "Chunks",
    "Delay",
    "FakeBotConnector",
    "FakeOpenAI",
    "FakeServer",
    "FakeSlackAPI",
    "Fault",
    "Garbage",
    "RecordedCall",
    "Status",
    "ToolCall",
    "ToolCalls",
    "fake_embedding",
    "hang",
    "make_activity",
]
