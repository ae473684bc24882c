"""Real HTTP stand-ins for external APIs, shared by tests and benchmarks."""

from tests.fakes.base import FakeServer, Fault, RecordedCall
from tests.fakes.bot_connector import FakeBotConnector, make_activity
from tests.fakes.openai_server import Delay, FakeOpenAI, Garbage, Status, fake_embedding
from tests.fakes.slack_api import FakeSlackAPI

__all__ = [
    "Delay",
    "FakeBotConnector",
    "FakeOpenAI",
    "FakeServer",
    "FakeSlackAPI",
    "Fault",
    "Garbage",
    "RecordedCall",
    "Status",
    "fake_embedding",
    "make_activity",
]
