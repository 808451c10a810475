"""The service's configuration: environment variables read once into one model.

    settings = load_settings()                   # os.environ
    settings = load_settings({"DD0C_DEV": "1"})  # tests: a plain mapping, os.environ untouched

Every invalid or missing variable raises `ConfigError`, whose message is one line naming the
variable and saying what it should be. Secrets (and connection strings, which may carry
passwords) are `SecretStr`: never in a message, a repr or `describe()`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict
from pymongo.errors import PyMongoError

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_MIN_TOKEN_KEY = 32
_MIN_OPS_TOKEN = 24
# Environment variables whose values are never shown (describe() says "set" / "unset").
SECRETS = frozenset(
    {
        "SLACK_CLIENT_SECRET",
        "SLACK_SIGNING_SECRET",
        "DD0C_TOKEN_KEY",
        "DD0C_OPS_TOKEN",
        "STRIPE_API_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "DD0C_TELEMETRY_HASH_KEY",
    }
)
# Connection strings: shown with their credentials masked.
_MASKED = frozenset({"MONGODB_URI", "REDIS_URL"})


class ConfigError(Exception):
    """A missing or invalid environment variable; the message is one line naming it."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable
        self.problem = problem


SLACK_REQUIRED = (
    "must be set: the Slack app's credentials (see README, 'Create the Slack app'), "
    "or set DD0C_DEV=1 to run without Slack"
)


STRIPE_REQUIRED = (
    "must be set too: billing needs STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET and STRIPE_PRICE_ID "
    "(see README, 'Billing'), or none of them to run without billing"
)
_STRIPE_PREFIXES = {
    "stripe_api_key": ("sk_", "rk_"),
    "stripe_webhook_secret": ("whsec_",),
    "stripe_price_id": ("price_",),
}

DEFAULT_POLICY_FILE = str(Path(__file__).resolve().parent / "policy.json")
DEFAULT_FLAGS_FILE = str(Path(__file__).resolve().parent / "flags.json")
_MIN_HASH_KEY = 16
_REDIS_PREFIX = re.compile(r"^[A-Za-z0-9:_.-]{1,64}$")

_EVENT_BUS_ARN = re.compile(r"^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus/[A-Za-z0-9._/-]+$")


def mask_url(url: str) -> str:
    """`url` without credentials: userinfo and query string replaced by `***`."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return "***" if "@" in url else url
    if "@" in rest:
        rest = "***@" + rest.rpartition("@")[2]
    if "?" in rest:
        rest = rest.partition("?")[0] + "?***"
    return f"{scheme}://{rest}"


def _invalid(problem: str, value: Any = None, *, echo: bool = True) -> PydanticCustomError:
    """A validation error whose message is `problem`, plus the offending value when safe."""
    if echo and value is not None:
        problem = f"{problem} (got {_shown(value)})"
    # Braces would be read as placeholders by pydantic's message template.
    return PydanticCustomError("dd0c_config", problem.replace("{", "(").replace("}", ")"))


def _shown(value: Any) -> str:
    text = mask_url(value) if isinstance(value, str) else str(value)
    return repr(text[:80] + "…" if len(text) > 80 else text)


def _whole_number(value: Any, low: int, high: int, what: str = "") -> int:
    problem = f"must be a whole number{what} from {low} to {high}"
    try:
        number = int(str(value).strip(), 10)
    except ValueError:
        raise _invalid(problem, value) from None
    if not low <= number <= high:
        raise _invalid(problem, value)
    return number


def _http_url(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    problem = "must be an http:// or https:// URL"
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        raise _invalid(problem, value) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in text:
        raise _invalid(problem, value)
    return text


def _scrubbed(message: str, secrets: list[str]) -> str:
    """`message` (a library's) with every secret-looking part of the value it was about masked."""
    for secret in sorted((part for part in secrets if len(part) >= 3), key=len, reverse=True):
        message = message.replace(secret, "***")
    return message.splitlines()[0][:200] if message else "unreadable"


def _url_secrets(url: str) -> list[str]:
    """The userinfo (whole and each half) and every query value of `url`."""
    rest = url.partition("://")[2]
    authority, _, query = rest.partition("?")
    userinfo = authority.rpartition("@")[0] if "@" in authority else ""
    parts = [userinfo, *userinfo.split(":")] if userinfo else []
    return parts + [pair.partition("=")[2] for pair in query.split("&")]


def _mongodb_problem(uri: str) -> str | None:
    """Why pymongo would refuse `uri` (parsed without any DNS lookup), or None."""
    # The parser behind pymongo.uri_parser.parse_uri, minus the SRV lookup (no I/O here).
    from pymongo.uri_parser_shared import _validate_uri

    try:
        _validate_uri(uri, validate=True, warn=False)
    except (ValueError, TypeError, UnicodeError, PyMongoError) as exc:
        return _scrubbed(str(exc), _url_secrets(uri))
    return None


def _redis_problem(url: str) -> str | None:
    """Why redis-py would refuse `url`, or None."""
    from redis.connection import parse_url

    try:
        parse_url(url)
    except (ValueError, TypeError, UnicodeError) as exc:
        return _scrubbed(str(exc), _url_secrets(url))
    return None


def _token_key_problem(value: str) -> str | None:
    """Why the token cipher or the callback signer would refuse DD0C_TOKEN_KEY, or None."""
    from onboarding.connect import CallbackTokens
    from storage.crypto import TokenCipher
    from storage.errors import StoreConfigError

    try:
        value.encode("utf-8")
        TokenCipher.from_setting(value)
        CallbackTokens.from_setting(value)
    except UnicodeError:
        return "must be text (it holds bytes that are not UTF-8)"
    except (StoreConfigError, ValueError) as exc:
        return str(exc).removeprefix("DD0C_TOKEN_KEY").lstrip(": ")
    return None


class Settings(BaseSettings):
    """Everything the service reads from its environment (DESIGN.md, "Configuration")."""

    model_config = SettingsConfigDict(
        case_sensitive=True, extra="ignore", frozen=True, env_ignore_empty=True
    )

    mongodb_uri: SecretStr | None = Field(default=None, validation_alias="MONGODB_URI")
    redis_url: SecretStr = Field(
        default=SecretStr("redis://127.0.0.1:6379/0"), validation_alias="REDIS_URL"
    )
    sqs_queue_url: str | None = Field(default=None, validation_alias="SQS_QUEUE_URL")
    sqs_dlq_url: str | None = Field(default=None, validation_alias="SQS_DLQ_URL")
    aws_region: str = Field(default="us-east-1", validation_alias="AWS_REGION")
    aws_endpoint_url: str | None = Field(default=None, validation_alias="AWS_ENDPOINT_URL")
    slack_client_id: str | None = Field(default=None, validation_alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_CLIENT_SECRET"
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_SIGNING_SECRET"
    )
    slack_api_url: str = Field(default="https://slack.com/api/", validation_alias="SLACK_API_URL")
    token_key: SecretStr | None = Field(default=None, validation_alias="DD0C_TOKEN_KEY")
    public_url: str | None = Field(default=None, validation_alias="DD0C_PUBLIC_URL")
    template_url: str | None = Field(default=None, validation_alias="DD0C_TEMPLATE_URL")
    event_bus_arn: str | None = Field(default=None, validation_alias="DD0C_EVENT_BUS_ARN")
    port: int = Field(default=3000, validation_alias="PORT")
    dev: bool = Field(default=False, validation_alias="DD0C_DEV")
    pollers: int = Field(default=2, validation_alias="DD0C_POLLERS")
    visibility_timeout: int = Field(default=60, validation_alias="DD0C_VISIBILITY_TIMEOUT")
    log_level: LogLevel = Field(default="INFO", validation_alias="LOG_LEVEL")
    log_level_third_party: LogLevel | None = Field(
        default=None, validation_alias="LOG_LEVEL_THIRD_PARTY"
    )
    ops_token: SecretStr | None = Field(default=None, validation_alias="DD0C_OPS_TOKEN")
    # Governance and the scheduler (governance/, scheduler/).
    policy_file: str = Field(default=DEFAULT_POLICY_FILE, validation_alias="DD0C_POLICY_FILE")
    redis_prefix: str = Field(default="dd0c:", validation_alias="DD0C_REDIS_PREFIX")
    # The usage watch and the Cost Explorer reconciliation (usage/, issue 18).
    usage_watch: bool = Field(default=True, validation_alias="DD0C_USAGE_WATCH")
    reconcile: bool = Field(default=True, validation_alias="DD0C_RECONCILE")
    # The REST API and billing (api/, billing/): all three STRIPE_* or none (billing off).
    api_rate_limit: int = Field(default=600, validation_alias="DD0C_API_RATE_LIMIT")
    stripe_api_key: SecretStr | None = Field(default=None, validation_alias="STRIPE_API_KEY")
    stripe_webhook_secret: SecretStr | None = Field(
        default=None, validation_alias="STRIPE_WEBHOOK_SECRET"
    )
    stripe_price_id: str | None = Field(default=None, validation_alias="STRIPE_PRICE_ID")
    stripe_api_url: str | None = Field(default=None, validation_alias="STRIPE_API_URL")
    # Flags, circuit breaker and telemetry (flags/, telemetry/; issue 15).
    flags_file: str = Field(default=DEFAULT_FLAGS_FILE, validation_alias="DD0C_FLAGS_FILE")
    telemetry_hash_key: SecretStr | None = Field(
        default=None, validation_alias="DD0C_TELEMETRY_HASH_KEY"
    )
    otel_endpoint: str | None = Field(default=None, validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT")
    otel_traces_endpoint: str | None = Field(
        default=None, validation_alias="OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    )

    @field_validator("mongodb_uri", mode="before")
    @classmethod
    def _mongodb_uri(cls, value: Any) -> Any:
        if value is None:
            return value
        if not str(value).startswith(("mongodb://", "mongodb+srv://")):
            raise _invalid("must be a mongodb:// or mongodb+srv:// connection string", value)
        problem = _mongodb_problem(str(value))
        if problem:
            raise _invalid(f"is not a valid MongoDB connection string: {problem}", echo=False)
        return value

    @field_validator("redis_url", mode="before")
    @classmethod
    def _redis_url(cls, value: Any) -> Any:
        if isinstance(value, SecretStr):  # the default
            return value
        if not str(value).startswith(("redis://", "rediss://", "unix://")):
            raise _invalid("must be a redis://, rediss:// or unix:// URL", value)
        problem = _redis_problem(str(value))
        if problem:
            raise _invalid(f"is not a valid Redis URL: {problem}", echo=False)
        return value

    @field_validator(
        "sqs_queue_url",
        "sqs_dlq_url",
        "aws_endpoint_url",
        "slack_api_url",
        "public_url",
        "template_url",
        "stripe_api_url",
        "otel_endpoint",
        "otel_traces_endpoint",
        mode="before",
    )
    @classmethod
    def _urls(cls, value: Any) -> str | None:
        return _http_url(value)

    @field_validator("event_bus_arn", mode="before")
    @classmethod
    def _event_bus_arn(cls, value: Any) -> Any:
        if value is not None and not _EVENT_BUS_ARN.match(str(value)):
            raise _invalid(
                "must be the ARN of dd0c-cost-bus, "
                "arn:aws:events:<region>:<12-digit account>:event-bus/<name>",
                value,
            )
        return value

    @property
    def onboarding_enabled(self) -> bool:
        """Whether /dd0c connect can offer the one-click stack (template, bus, public URL set)."""
        return bool(self.template_url and self.event_bus_arn and self.public_url)

    @field_validator("aws_region", mode="before")
    @classmethod
    def _region(cls, value: Any) -> Any:
        if not _REGION.match(str(value)):
            raise _invalid("must be an AWS region name such as us-east-1", value)
        return value

    @field_validator("token_key", mode="before")
    @classmethod
    def _token_key(cls, value: Any) -> Any:
        if value is not None and len(str(value)) < _MIN_TOKEN_KEY:
            raise _invalid(f"must be at least {_MIN_TOKEN_KEY} characters long", echo=False)
        if value is not None:
            problem = _token_key_problem(str(value))
            if problem:
                raise _invalid(problem, echo=False)
        return value

    @field_validator("telemetry_hash_key", mode="before")
    @classmethod
    def _telemetry_hash_key(cls, value: Any) -> Any:
        if value is not None and len(str(value).encode()) < _MIN_HASH_KEY:
            raise _invalid(f"must be at least {_MIN_HASH_KEY} bytes long", echo=False)
        return value

    @model_validator(mode="after")
    def _hash_key_with_tracing(self) -> Settings:
        if self.telemetry_hash_key is not None:
            return self
        for variable, value in (
            ("OTEL_EXPORTER_OTLP_ENDPOINT", self.otel_endpoint),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", self.otel_traces_endpoint),
        ):
            if value:
                raise ConfigError(
                    variable,
                    "is set, so DD0C_TELEMETRY_HASH_KEY must be set too (16+ bytes, secret): "
                    "it keys the hash of account ids and ARNs in spans",
                )
        return self

    @field_validator("ops_token", mode="before")
    @classmethod
    def _ops_token(cls, value: Any) -> Any:
        if value is not None and len(str(value).strip()) < _MIN_OPS_TOKEN:
            raise _invalid(f"must be at least {_MIN_OPS_TOKEN} characters long", echo=False)
        return value

    @field_validator("port", mode="before")
    @classmethod
    def _port(cls, value: Any) -> int:
        return _whole_number(value, 1, 65535)

    @field_validator("pollers", mode="before")
    @classmethod
    def _pollers(cls, value: Any) -> int:
        return _whole_number(value, 1, 32)

    @field_validator("visibility_timeout", mode="before")
    @classmethod
    def _visibility_timeout(cls, value: Any) -> int:
        return _whole_number(value, 5, 43_200, " of seconds")

    @field_validator("api_rate_limit", mode="before")
    @classmethod
    def _api_rate_limit(cls, value: Any) -> int:
        return _whole_number(value, 1, 1_000_000, " of requests per minute")

    @field_validator("stripe_api_key", "stripe_webhook_secret", "stripe_price_id", mode="before")
    @classmethod
    def _stripe(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return value
        prefixes = _STRIPE_PREFIXES[info.field_name or ""]
        if not str(value).strip().startswith(prefixes) or len(str(value).strip()) < 8:
            what = " or ".join(f"{p}…" for p in prefixes)
            echo = info.field_name == "stripe_price_id"
            raise _invalid(f"must be a Stripe value starting with {what}", value, echo=echo)
        return str(value).strip()

    @property
    def billing_enabled(self) -> bool:
        """Whether Pro can be bought (all three STRIPE_* set)."""
        return bool(self.stripe_api_key and self.stripe_webhook_secret and self.stripe_price_id)

    @field_validator("dev", "usage_watch", "reconcile", mode="before")
    @classmethod
    def _dev(cls, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text not in _TRUE | _FALSE:
            raise _invalid("must be 1 or 0 (or true/false, yes/no, on/off)", value)
        return text in _TRUE

    @field_validator("redis_prefix", mode="before")
    @classmethod
    def _redis_prefix(cls, value: Any) -> Any:
        if not _REDIS_PREFIX.match(str(value)):
            raise _invalid("must be 1-64 letters, digits or : _ . - (a Redis key prefix)", value)
        return value

    @field_validator("log_level", "log_level_third_party", mode="before")
    @classmethod
    def _log_level(cls, value: Any) -> str | None:
        if value is None:  # LOG_LEVEL_THIRD_PARTY unset: INFO, or LOG_LEVEL if higher
            return None
        text = str(value).strip().upper()
        if text not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise _invalid("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL", value)
        return text

    @model_validator(mode="after")
    def _stripe_all_or_none(self) -> Settings:
        stripe = {
            "STRIPE_API_KEY": self.stripe_api_key,
            "STRIPE_WEBHOOK_SECRET": self.stripe_webhook_secret,
            "STRIPE_PRICE_ID": self.stripe_price_id,
        }
        if any(stripe.values()):
            for variable, value in stripe.items():
                if value is None:
                    raise ConfigError(variable, STRIPE_REQUIRED)
        return self

    @model_validator(mode="after")
    def _required_outside_dev(self) -> Settings:
        if self.dev:
            return self
        if self.mongodb_uri is None:
            raise ConfigError(
                "MONGODB_URI",
                "must be set to a MongoDB connection string (mongodb://host:27017/dd0c_cost), "
                "or set DD0C_DEV=1 for an in-process store",
            )
        if self.sqs_queue_url is None:
            raise ConfigError(
                "SQS_QUEUE_URL",
                "must be set to the ingestion queue's URL, or set DD0C_DEV=1 to run without one",
            )
        for variable, value in self._slack_values().items():
            if value is None:
                raise ConfigError(variable, SLACK_REQUIRED)
        return self

    def _slack_values(self) -> dict[str, object]:
        return {
            "SLACK_CLIENT_ID": self.slack_client_id,
            "SLACK_CLIENT_SECRET": self.slack_client_secret,
            "SLACK_SIGNING_SECRET": self.slack_signing_secret,
            "DD0C_TOKEN_KEY": self.token_key,
        }

    @property
    def slack_enabled(self) -> bool:
        """Whether the Slack app runs (all its credentials set; always outside DD0C_DEV)."""
        return all(value is not None for value in self._slack_values().values())

    def describe(self) -> dict[str, Any]:
        """Every variable and its value for the start-up log: secrets only as "set"/"unset"."""
        described: dict[str, Any] = {}
        for name, field in type(self).model_fields.items():
            variable = str(field.validation_alias)
            described[variable] = _describe(variable, getattr(self, name))
        return described


def _describe(variable: str, value: Any) -> Any:
    if variable in SECRETS:
        return "unset" if value is None else "set"
    if isinstance(value, SecretStr):
        return mask_url(value.get_secret_value())
    return value


def variables() -> list[str]:
    """The names of every environment variable `Settings` reads."""
    return [str(field.validation_alias) for field in Settings.model_fields.values()]


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Settings from `env` (default os.environ); raises ConfigError naming the first bad one."""
    source = os.environ if env is None else env
    # Empty means unset, as pydantic-settings' env_ignore_empty does for os.environ.
    values = {name: source[name] for name in variables() if source.get(name, "") != ""}
    try:
        return Settings.model_validate(values)
    except ValidationError as exc:
        raise _config_error(exc) from None


def _config_error(exc: ValidationError) -> ConfigError:
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    variable = str(first["loc"][0]) if first["loc"] else "configuration"
    problem = first["msg"]
    if len(errors) > 1:
        problem += f" (and {len(errors) - 1} more: {', '.join(_names(errors[1:]))})"
    return ConfigError(variable, problem)


def _names(errors: list[Any]) -> list[str]:
    return [str(error["loc"][0]) for error in errors if error["loc"]]
