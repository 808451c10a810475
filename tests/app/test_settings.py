"""settings.load_settings: defaults, every rule, one-line messages, secrets never shown."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from settings import ConfigError, Settings, load_settings, mask_url, variables

DEV = {"DD0C_DEV": "1"}
SECRET = "s3cr3t-" + "x" * 40
SLACK = {
    "SLACK_CLIENT_ID": "123.456",
    "SLACK_CLIENT_SECRET": SECRET,
    "SLACK_SIGNING_SECRET": SECRET,
    "DD0C_TOKEN_KEY": SECRET,
}
PROD = {
    "MONGODB_URI": "mongodb://db:27017/dd0c_cost",
    "SQS_QUEUE_URL": "https://sqs.test/1/q.fifo",
    **SLACK,
}


def error_for(env: dict[str, str]) -> ConfigError:
    """The ConfigError `env` raises."""
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    return caught.value


def test_defaults_in_dev_mode() -> None:
    settings = load_settings(DEV)
    assert settings.dev is True
    assert settings.mongodb_uri is None
    assert settings.redis_url.get_secret_value() == "redis://127.0.0.1:6379/0"
    assert settings.sqs_queue_url is None
    assert settings.aws_region == "us-east-1"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert (settings.port, settings.pollers, settings.visibility_timeout) == (3000, 2, 60)
    assert settings.log_level == "INFO"


def test_reads_the_mapping_given_not_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "not a port")  # would fail if os.environ were read
    assert load_settings({**DEV, "PORT": "8080"}).port == 8080


def test_empty_values_count_as_unset() -> None:
    settings = load_settings({**DEV, "PORT": "", "SQS_QUEUE_URL": "", "DD0C_TOKEN_KEY": ""})
    assert (settings.port, settings.sqs_queue_url, settings.token_key) == (3000, None, None)


def test_every_variable_is_read() -> None:
    env = {
        **PROD,
        "REDIS_URL": "rediss://cache:6380/1",
        "SQS_DLQ_URL": "https://sqs.test/1/q-dlq.fifo",
        "AWS_REGION": "eu-west-1",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
        "SLACK_CLIENT_ID": "123.456",
        "SLACK_CLIENT_SECRET": SECRET,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": "http://127.0.0.1:9999/api/",
        "DD0C_TOKEN_KEY": SECRET,
        "DD0C_PUBLIC_URL": "https://cost.example.com",
        "DD0C_TEMPLATE_URL": "https://dd0c-templates.s3.amazonaws.com/dd0c-cost-readonly.yaml",
        "DD0C_EVENT_BUS_ARN": "arn:aws:events:us-east-1:123456789012:event-bus/dd0c-cost-bus",
        "PORT": "8080",
        "DD0C_DEV": "false",
        "DD0C_POLLERS": "32",
        "DD0C_VISIBILITY_TIMEOUT": "5",
        "LOG_LEVEL": "debug",
        "LOG_LEVEL_THIRD_PARTY": "warning",
        "DD0C_OPS_TOKEN": SECRET,
        "DD0C_POLICY_FILE": "/etc/dd0c/policy.json",
        "DD0C_REDIS_PREFIX": "dd0c-staging:",
        "DD0C_USAGE_WATCH": "0",
        "DD0C_RECONCILE": "false",
        "DD0C_API_RATE_LIMIT": "120",
        "STRIPE_API_KEY": "sk_test_" + SECRET,
        "STRIPE_WEBHOOK_SECRET": "whsec_" + SECRET,
        "STRIPE_PRICE_ID": "price_pro_19",
        "STRIPE_API_URL": "http://127.0.0.1:12111",
        "DD0C_FLAGS_FILE": "/etc/dd0c/flags.json",
        "DD0C_TELEMETRY_HASH_KEY": SECRET,
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces",
    }
    assert set(env) == set(variables())
    settings = load_settings(env)
    assert settings.aws_endpoint_url == "http://127.0.0.1:5000"
    assert (settings.usage_watch, settings.reconcile) == (False, False)
    assert settings.public_url == "https://cost.example.com"
    assert (settings.pollers, settings.visibility_timeout, settings.dev) == (32, 5, False)
    assert (settings.log_level, settings.log_level_third_party) == ("DEBUG", "WARNING")
    assert settings.ops_token is not None and settings.ops_token.get_secret_value() == SECRET
    assert isinstance(settings.token_key, SecretStr)
    assert settings.token_key.get_secret_value() == SECRET
    assert settings.telemetry_hash_key is not None
    assert settings.telemetry_hash_key.get_secret_value() == SECRET
    assert settings.flags_file == "/etc/dd0c/flags.json"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "MONGODB_URI: must be set to a MongoDB connection string"),
        ({"MONGODB_URI": PROD["MONGODB_URI"]}, "SQS_QUEUE_URL: must be set"),
        ({**PROD, "SLACK_CLIENT_ID": ""}, "SLACK_CLIENT_ID: must be set: the Slack app"),
        ({**PROD, "SLACK_SIGNING_SECRET": ""}, "SLACK_SIGNING_SECRET: must be set"),
        ({**PROD, "DD0C_TOKEN_KEY": ""}, "DD0C_TOKEN_KEY: must be set"),
        ({**PROD, "MONGODB_URI": "postgres://db/x"}, "MONGODB_URI: must be a mongodb:// or"),
        ({**DEV, "PORT": "abc"}, "PORT: must be a whole number from 1 to 65535 (got 'abc')"),
        ({**DEV, "PORT": "0"}, "PORT: must be a whole number from 1 to 65535 (got '0')"),
        ({**DEV, "PORT": "65536"}, "PORT: must be a whole number from 1 to 65535"),
        ({**DEV, "PORT": "80.5"}, "PORT: must be a whole number"),
        ({**DEV, "DD0C_DEV": "maybe"}, "DD0C_DEV: must be 1 or 0"),
        ({**DEV, "DD0C_RECONCILE": "maybe"}, "DD0C_RECONCILE: must be 1 or 0"),
        (
            {**DEV, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"},
            "OTEL_EXPORTER_OTLP_ENDPOINT: is set, so DD0C_TELEMETRY_HASH_KEY must be set too",
        ),
        ({**DEV, "DD0C_TELEMETRY_HASH_KEY": "short"}, "DD0C_TELEMETRY_HASH_KEY: must be at least"),
        ({**DEV, "DD0C_POLLERS": "0"}, "DD0C_POLLERS: must be a whole number from 1 to 32"),
        ({**DEV, "DD0C_POLLERS": "33"}, "DD0C_POLLERS: must be a whole number from 1 to 32"),
        ({**DEV, "DD0C_VISIBILITY_TIMEOUT": "4"}, "DD0C_VISIBILITY_TIMEOUT: must be a whole"),
        ({**DEV, "DD0C_VISIBILITY_TIMEOUT": "43201"}, "DD0C_VISIBILITY_TIMEOUT: must be a whole"),
        ({**DEV, "LOG_LEVEL": "loud"}, "LOG_LEVEL: must be one of DEBUG, INFO"),
        ({**DEV, "LOG_LEVEL_THIRD_PARTY": "x"}, "LOG_LEVEL_THIRD_PARTY: must be one of DEBUG"),
        ({**DEV, "DD0C_OPS_TOKEN": "short"}, "DD0C_OPS_TOKEN: must be at least 24 characters"),
        ({**DEV, "REDIS_URL": "http://cache:6379"}, "REDIS_URL: must be a redis://"),
        ({**DEV, "SQS_QUEUE_URL": "sqs.us-east-1/q"}, "SQS_QUEUE_URL: must be an http:// or"),
        ({**DEV, "SQS_DLQ_URL": "ftp://x/q"}, "SQS_DLQ_URL: must be an http:// or https://"),
        ({**DEV, "AWS_ENDPOINT_URL": "localhost:5000"}, "AWS_ENDPOINT_URL: must be an http"),
        ({**DEV, "AWS_ENDPOINT_URL": "http://h:port"}, "AWS_ENDPOINT_URL: must be an http"),
        ({**DEV, "SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL: must be an http"),
        ({**DEV, "DD0C_PUBLIC_URL": "https://"}, "DD0C_PUBLIC_URL: must be an http"),
        ({**DEV, "AWS_REGION": "Virginia"}, "AWS_REGION: must be an AWS region name"),
        ({**DEV, "DD0C_EVENT_BUS_ARN": "dd0c-cost-bus"}, "DD0C_EVENT_BUS_ARN: must be the ARN"),
        ({**DEV, "DD0C_TEMPLATE_URL": "s3://bucket/t.yaml"}, "DD0C_TEMPLATE_URL: must be an http"),
        ({**DEV, "DD0C_TOKEN_KEY": "too-short"}, "DD0C_TOKEN_KEY: must be at least 32 characters"),
    ],
)
def test_each_rule_names_its_variable_in_one_line(env: dict[str, str], expected: str) -> None:
    message = str(error_for(env))
    assert message.startswith(expected)
    assert "\n" not in message
    assert error_for(env).variable == expected.split(":")[0]


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", "on"])
def test_dev_mode_needs_neither_mongodb_nor_a_queue(value: str) -> None:
    settings = load_settings({"DD0C_DEV": value})
    assert settings.dev is True


def test_production_settings_are_accepted() -> None:
    settings = load_settings({**PROD, "MONGODB_URI": "mongodb+srv://u:p@cluster0.example.net/x"})
    assert settings.dev is False
    assert settings.sqs_queue_url == PROD["SQS_QUEUE_URL"]


def test_several_problems_are_still_one_line_naming_the_others() -> None:
    message = str(error_for({**DEV, "PORT": "x", "DD0C_POLLERS": "0", "LOG_LEVEL": "?"}))
    assert message.startswith("PORT: ")
    assert "DD0C_POLLERS" in message and "LOG_LEVEL" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "env",
    [
        {**DEV, "DD0C_TOKEN_KEY": "hunter2-short"},
        {**PROD, "MONGODB_URI": "mongo://admin:hunter2@db/x"},
        {**DEV, "REDIS_URL": "http://:hunter2@cache:6379/0"},
        {**DEV, "SQS_QUEUE_URL": "ftp://user:hunter2@sqs/q"},
    ],
)
def test_messages_never_echo_a_secret(env: dict[str, str]) -> None:
    assert "hunter2" not in str(error_for(env))


def test_repr_and_describe_hide_secrets() -> None:
    env = {
        **PROD,
        "MONGODB_URI": "mongodb://admin:hunter2@db:27017/dd0c_cost?authSource=admin",
        "REDIS_URL": "redis://:hunter2@cache:6379/0",
        "SLACK_CLIENT_SECRET": "hunter2-client",
        "SLACK_SIGNING_SECRET": "hunter2-signing",
        "DD0C_TOKEN_KEY": "hunter2-" + "k" * 32,
    }
    settings = load_settings(env)
    described = settings.describe()
    for shown in (repr(settings), str(settings), str(described)):
        assert "hunter2" not in shown
    assert described["SLACK_CLIENT_SECRET"] == "set"
    assert described["DD0C_TOKEN_KEY"] == "set"
    assert described["SLACK_SIGNING_SECRET"] == "set"
    assert described["MONGODB_URI"] == "mongodb://***@db:27017/dd0c_cost?***"
    assert described["REDIS_URL"] == "redis://***@cache:6379/0"
    assert described["SQS_QUEUE_URL"] == PROD["SQS_QUEUE_URL"]


def test_describe_lists_every_variable() -> None:
    described = load_settings(DEV).describe()
    assert list(described) == variables()
    assert described["DD0C_TOKEN_KEY"] == "unset"
    assert described["PORT"] == 3000


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("redis://user:p@ss@h:1/0", "redis://***@h:1/0"),
        ("mongodb+srv://u:p@a,b/db?password=x", "mongodb+srv://***@a,b/db?***"),
        ("no-scheme:p@host", "***"),
    ],
)
def test_mask_url(url: str, masked: str) -> None:
    assert mask_url(url) == masked


def test_settings_are_frozen() -> None:
    settings: Any = load_settings(DEV)
    with pytest.raises(ValueError, match="frozen"):
        settings.port = 1
    assert isinstance(settings, Settings)


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("MONGODB_URI", "mongodb://h:notaport/db", "not a valid MongoDB connection string: Port"),
        ("MONGODB_URI", "mongodb://", "Must provide at least one hostname"),
        ("MONGODB_URI", "mongodb://a@b@c/db", "must be escaped"),
        ("MONGODB_URI", "mongodb+srv://h:27017/db", "must not include a port number"),
        ("MONGODB_URI", "mongodb://h/d b", "Bad database name"),
        ("MONGODB_URI", "mongodb://u:hunter2@h:99999/db?authSource=hunter2", "Port must be"),
        ("MONGODB_URI", "mongodb://h/db?authMechanism=hunter2", "authmechanism must be in"),
        ("REDIS_URL", "redis://:hunter2@h:notaport/0", "not a valid Redis URL: Port could not"),
        ("REDIS_URL", "redis://h/0?socket_timeout=hunter2", "not a valid Redis URL: Invalid value"),
        ("DD0C_TOKEN_KEY", "hunter2" * 6 + ",short", "key 2 is neither a Fernet key nor"),
        ("DD0C_TOKEN_KEY", "hunter2" * 6 + "\udcff", "must be text"),
    ],
)
def test_values_the_libraries_would_refuse_are_refused_here(
    variable: str, value: str, expected: str
) -> None:
    error = error_for({**DEV, variable: value})
    assert error.variable == variable
    assert expected in error.problem
    assert "hunter2" not in str(error) and "\n" not in str(error)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    variable=st.sampled_from(variables()),
    value=st.one_of(
        st.text(min_size=1, max_size=300),
        st.sampled_from(["mongodb://", "redis://", "unix://", "http://", "rediss://"]).flatmap(
            lambda scheme: st.text(max_size=100).map(lambda rest: scheme + rest)
        ),
        st.binary(min_size=1, max_size=60).map(lambda raw: raw.decode("utf-8", "surrogateescape")),
    ),
)
def test_any_value_of_any_variable_loads_or_names_the_variable(variable: str, value: str) -> None:
    """What os.environ can hold (surrogate-escaped bytes too): a model or one ConfigError line."""
    try:
        load_settings({**PROD, **DEV, variable: value})
    except ConfigError as error:
        assert error.variable == variable
        assert "\n" not in str(error)
