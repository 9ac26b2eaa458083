"""Typed settings, loaded once at start-up.

Where values come from, highest priority first:

1. environment variables ``TRADEMATE__SECTION__KEY`` (e.g. ``TRADEMATE__DATABASE__URL``);
2. the conventional ``DATABASE_URL`` / ``REDIS_URL`` / ``QDRANT_URL`` variables (what most
   hosting platforms and our CI set);
3. an optional override file named by ``TRADEMATE_CONFIG`` (same shape as ``config.yaml``);
4. ``config.yaml`` at the project root, which holds every default with a comment.

Secrets (``SECRET_KEYS``) come from the environment only: a YAML file that sets one is refused,
so a secret can never be committed by accident. The models declare no defaults of their own:
``config.yaml`` is the single place defaults live, and a key missing there fails loudly.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from .settings_env_errors import describe_undecodable_env

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_FILE = PROJECT_ROOT / "config.yaml"
ENV_PREFIX = "TRADEMATE__"
OVERRIDE_FILE_ENV = "TRADEMATE_CONFIG"

# Dotted keys that must never be read from a file.
SECRET_KEYS = frozenset(
    {
        "security.encryption_key",
        "llm.api_key",
        "qdrant.api_key",
        "staff_bot.token",
        "staff_bot.webhook_secret",
    }
)

# Conventional variable names honoured as a fallback for the namespaced ones.
ENV_ALIASES = {
    "DATABASE_URL": ("database", "url"),
    "REDIS_URL": ("redis", "url"),
    "QDRANT_URL": ("qdrant", "url"),
}

Role = Literal["web", "worker", "scheduler"]


class ConfigError(Exception):
    """The configuration is wrong or incomplete; the message names each offending key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AppSettings(_Section):
    name: str
    env: Literal["development", "production", "test"]
    data_dir: Path
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"]
    public_url: str = Field(pattern=r"^https?://")


class ServerSettings(_Section):
    host: str
    port: int = Field(ge=0, le=65535)
    roles: list[Role] = Field(min_length=1)
    shutdown_timeout: float = Field(gt=0)


class DatabaseSettings(_Section):
    url: str | None = Field(pattern=r"^postgres(ql)?://")
    pool_min: int = Field(ge=0)
    pool_max: int = Field(ge=1)
    command_timeout: float = Field(gt=0)


class RedisSettings(_Section):
    url: str | None = Field(pattern=r"^(redis|rediss|unix)://")
    namespace: str = Field(pattern=r"^[a-z0-9_-]+$")


class QdrantSettings(_Section):
    url: str | None = Field(pattern=r"^https?://")
    api_key: SecretStr | None = None
    collection_prefix: str = Field(pattern=r"^[a-z0-9_]+$")
    dense_size: int = Field(gt=0)


class PlatformRate(_Section):
    per_channel: float = Field(gt=0)
    burst: int = Field(ge=1)
    per_recipient: float = Field(gt=0)


class SendRetrySettings(_Section):
    max_attempts: int = Field(ge=1)
    base_delay: float = Field(ge=0)
    max_delay: float = Field(gt=0)


class ChannelsSettings(_Section):
    api_base: dict[str, str | None]
    http_timeout: float = Field(gt=0)
    cache_seconds: float = Field(ge=0)
    rate_limits: dict[str, PlatformRate]
    send_retry: SendRetrySettings


class WorkerSettings(_Section):
    concurrency: int = Field(ge=1)
    lease_seconds: float = Field(gt=0)
    max_attempts: int = Field(ge=1)
    reconcile_every: float = Field(gt=0)
    pending_grace_seconds: float = Field(ge=0)
    claim_idle_seconds: float = Field(gt=0)


class SecuritySettings(_Section):
    encryption_key: SecretStr | None = None
    session_ttl_seconds: int = Field(gt=0)
    password_min_length: int = Field(ge=8)


class ModelPriceSettings(_Section):
    input_per_1k: Decimal = Field(ge=0)
    output_per_1k: Decimal = Field(ge=0)


class LLMSettings(_Section):
    provider: str | None
    model: str | None
    base_url: str | None
    api_key: SecretStr | None = None
    timeout_seconds: float = Field(gt=0)
    temperature: float | None = Field(ge=0, le=2)
    max_tokens: int = Field(gt=0)
    structured_method: Literal["function_calling", "json_schema", "json_mode"]
    cheap_model: str | None
    daily_budget_usd: Decimal | None = Field(ge=0)
    prices: dict[str, ModelPriceSettings]
    cache_ttl_seconds: int = Field(ge=0)
    # From the environment either JSON ('["classify","draft"]') or comma-separated
    # ("classify,draft"); NoDecode hands the raw text to _tasks_from_text instead of json.loads.
    tasks: Annotated[list[Literal["classify", "memories", "draft"]], NoDecode]

    @field_validator("tasks", mode="before")
    @classmethod
    def _tasks_from_text(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value  # a YAML list
        text = value.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except ValueError as err:
                raise ValueError(f"not a JSON list: {err}") from err
        return [part.strip() for part in text.split(",") if part.strip()]


class AgentSettings(_Section):
    faq_min_cosine: float = Field(ge=-1, le=1)
    knowledge_min_cosine: float = Field(ge=-1, le=1)
    retrieval_limit: int = Field(ge=1, le=50)


class WebSettings(_Section):
    """The web inbox: session cookie, login throttling, live updates."""

    cookie_name: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    # "auto": Secure when app.public_url is https.
    cookie_secure: Literal["auto", "always", "never"]
    login_max_failures: int = Field(ge=1)
    login_window_seconds: int = Field(gt=0)
    page_size: int = Field(ge=1, le=200)
    sse_heartbeat_seconds: float = Field(gt=0)


class SweepSchedule(_Section):
    """When one sweep runs: a crontab line (``cron``) or a period (``every_seconds``)."""

    enabled: bool = True
    cron: str | None = None
    every_seconds: float | None = Field(default=None, gt=0)


class QuietHours(_Section):
    start: int = Field(ge=0, le=23)
    end: int = Field(ge=0, le=23)


class SchedulerSettings(_Section):
    enabled: bool
    # Time zone of the cron expressions.
    timezone: str
    silent_days: int = Field(ge=1)
    quiet_hours: QuietHours
    quote_reminder_days: int = Field(ge=0)
    batch_size: int = Field(ge=1)
    sweeps: dict[str, SweepSchedule]


class QuotesSettings(_Section):
    """Quotation defaults (an org's settings "quotes" override each key)."""

    # ISO 4217; null = the organization's default_currency.
    default_currency: str | None = Field(pattern=r"^[A-Z]{3}$")
    rate_base: str = Field(pattern=r"^[A-Z]{3}$")
    # Units of each currency per one rate_base.
    rates: dict[str, Decimal]
    payment_terms: str
    incoterm: Literal["EXW", "FCA", "FAS", "FOB", "CFR", "CIF", "CPT", "CIP", "DAP", "DPU", "DDP"]
    incoterm_place: str | None
    lead_time: str
    validity_days: int = Field(ge=1)
    link_ttl_hours: int = Field(ge=1)


class ContentSettings(_Section):
    """The content studio (prices are converted with ``quotes.rates``)."""

    default_variants: int = Field(ge=1, le=100)
    max_variants: int = Field(ge=1, le=100)
    ab_confidence: float = Field(gt=0, lt=1)
    markets: list[str]


class StaffBotSettings(_Section):
    """A separate Telegram bot for staff (optional; without a token staff use the shop's bot)."""

    token: SecretStr | None = None
    # None: channels.api_base.telegram, else Telegram's own.
    api_base: str | None = Field(pattern=r"^https?://")
    # What setWebhook accepts as secret_token: 1-256 of A-Z a-z 0-9 _ -.
    webhook_secret: SecretStr | None = None

    @model_validator(mode="after")
    def _secret_shape(self) -> StaffBotSettings:
        secret = self.webhook_secret
        if secret is not None and not re.fullmatch(
            r"[A-Za-z0-9_-]{1,256}", secret.get_secret_value()
        ):
            raise ValueError("staff_bot.webhook_secret: 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return self


class Settings(BaseSettings):
    """Everything TradeMate can be told. Build it with :func:`load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        case_sensitive=False,
        extra="forbid",
        frozen=True,
    )

    app: AppSettings
    server: ServerSettings
    database: DatabaseSettings
    redis: RedisSettings
    qdrant: QdrantSettings
    channels: ChannelsSettings
    worker: WorkerSettings
    security: SecuritySettings
    llm: LLMSettings
    agents: AgentSettings
    web: WebSettings
    scheduler: SchedulerSettings
    quotes: QuotesSettings
    content: ContentSettings
    staff_bot: StaffBotSettings

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # init_settings carries the merged YAML files (see load_settings); env beats both.
        return (env_settings, _AliasEnvSource(settings_cls), init_settings)

    @property
    def data_dir(self) -> Path:
        return self.app.data_dir.expanduser().resolve()

    @property
    def uses_embedded_database(self) -> bool:
        return self.database.url is None

    @property
    def uses_embedded_redis(self) -> bool:
        return self.redis.url is None


class _AliasEnvSource(PydanticBaseSettingsSource):
    """Maps DATABASE_URL and friends onto their nested keys."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ builds the whole mapping

    def __call__(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for var, (section, key) in ENV_ALIASES.items():
            value = os.environ.get(var)
            if value:
                found.setdefault(section, {})[key] = value
        return found


def load_settings(config_file: Path | None = None) -> Settings:
    """Load and validate settings; raise :class:`ConfigError` naming every bad key."""
    _refuse_unknown_env_sections()
    layers = [_read_yaml(config_file or DEFAULT_CONFIG_FILE)]
    override = os.environ.get(OVERRIDE_FILE_ENV)
    if override:
        layers.append(_read_yaml(Path(override)))
    merged: dict[str, Any] = {}
    for layer in layers:
        _deep_merge(merged, layer)
    try:
        return Settings(**merged)
    except ValidationError as err:
        raise ConfigError(_describe(err)) from err
    except SettingsError as err:  # an env value of a list/mapping setting that is not JSON
        raise ConfigError(describe_undecodable_env(err, Settings, ENV_PREFIX)) from err


def _refuse_unknown_env_sections() -> None:
    # pydantic-settings silently skips TRADEMATE__X__KEY when X is not a section, so a typo
    # in the section name (TRADEMATE__SEVER__PORT) would be ignored; extra="forbid" only
    # catches unknown keys inside a known section.
    sections = set(Settings.model_fields)
    unknown = sorted(
        name
        for name in os.environ
        if name.upper().startswith(ENV_PREFIX)
        and name[len(ENV_PREFIX) :].split("__", 1)[0].lower() not in sections
    )
    if unknown:
        raise ConfigError(
            "invalid configuration:\n"
            + "\n".join(
                f"  {name}: no such section (sections: {', '.join(sorted(sections))})"
                for name in unknown
            )
        )


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ConfigError(f"config file not found: {path}") from err
    except yaml.YAMLError as err:
        raise ConfigError(f"config file {path} is not valid YAML: {err}") from err
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping of sections")
    leaked = sorted(key for key in _dotted_keys(data) if key in SECRET_KEYS)
    if leaked:
        names = ", ".join(f"{k} (set {_env_name(k)})" for k in leaked)
        raise ConfigError(f"secrets must come from the environment, not {path}: {names}")
    return data


def _dotted_keys(data: Mapping[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            keys.extend(_dotted_keys(value, f"{dotted}."))
        elif value is not None:
            keys.append(dotted)
    return keys


def _deep_merge(into: dict[str, Any], layer: Mapping[str, Any]) -> None:
    for key, value in layer.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _deep_merge(into[key], value)
        else:
            into[key] = value


def _env_name(dotted: str) -> str:
    return ENV_PREFIX + dotted.upper().replace(".", "__")


def _describe(err: ValidationError) -> str:
    lines = ["invalid configuration:"]
    for item in err.errors():
        dotted = ".".join(str(part) for part in item["loc"])
        hint = f" (config.yaml key {dotted!r} or env {_env_name(dotted)})"
        given = item.get("input")
        hidden = item["type"] == "missing" or isinstance(given, dict) or dotted in SECRET_KEYS
        shown = "" if hidden else f", got {given!r}"
        lines.append(f"  {dotted}: {item['msg']}{shown}{hint}")
    return "\n".join(lines)
