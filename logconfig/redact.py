"""Masking secrets in log text: by the name they are given, and by their shape where it is unique.

`redact(text)` is applied by `RedactingFilter` to every record's message, extra fields and
traceback, and by `JsonFormatter` once more to the finished line. It masks:

- values whose key names a secret, in JSON or Python reprs (`"SessionToken": "…"`), query strings
  and forms (`param_TenantToken=…`), XML (`<SecretAccessKey>…</SecretAccessKey>`) and header lines
  (`Authorization: …`): any key containing token, secret, password, signature, credential, api key,
  authorization or cookie, plus the OAuth `code` and `state`;
- Slack tokens (`xoxb-`, `xoxp-`, `xoxa-`, `xoxr-`, `xoxe-`, `xapp-`) and webhook / response URLs
  (`hooks.slack.com/…`), Stripe keys (`sk_live_`, `sk_test_`, `rk_…`, `whsec_`), dd0c API keys
  (`dd0c_live_`, `dd0c_test_`), Bearer and Basic credentials, AWS session tokens (their fixed
  base64 prefixes), a 40-character secret written right after an AKIA/ASIA key id, and the
  password in any `scheme://user:password@host` URL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

MASK = "***"

# Bounded on both sides, so that no input makes the patterns backtrack for long (they run on
# attacker-chosen text, such as a request path in the access log).
_NAME = r"[A-Za-z0-9_.\-]{0,40}(?:token|secret|passw(?:or)?d|signature|credential|api[_\-]?key|authorization|cookie)[A-Za-z0-9_.\-]{0,40}"  # noqa: E501
# Lower-case only: `<Code>` in AWS error XML is not the OAuth code.
_OAUTH = r"(?-i:code|state)"
_KEY = rf"(?:{_NAME}|{_OAUTH})"

_Rule = tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]

_RULES: tuple[_Rule, ...] = (
    # "key": "value" / 'key': b'value' / 'key': ['value'] (JSON, reprs, also escaped quotes)
    (
        re.compile(rf"""((?:\\?["'])({_KEY})\\?["']\s*:\s*[\[(]?\s*b?(\\?["']))(.*?)(\3)""", re.I),
        rf"\1{MASK}\5",
    ),
    # <SecretAccessKey>value</SecretAccessKey>
    (re.compile(rf"(<({_NAME})>)[^<]*(</\2>)", re.I), rf"\1{MASK}\3"),
    # key='value' in reprs of keyword arguments and named tuples
    (re.compile(rf"(?<![A-Za-z0-9_\-])({_KEY})=(b?)([\"'])(.*?)\3", re.I), rf"\1=\2\3{MASK}\3"),
    # key=value in query strings, forms and key=value lists
    (re.compile(rf"(?<![A-Za-z0-9_\-])({_KEY})=[^&\s\"'#,;<>\\)\]}}]+", re.I), rf"\1={MASK}"),
    # header lines: Authorization: AWS4-HMAC-SHA256 Credential=…, X-Amz-Security-Token: …
    (re.compile(rf"(?<![\"'A-Za-z0-9_\-])({_NAME}):[ \t]*[^\r\n\"',}}]+", re.I), rf"\1: {MASK}"),
    (re.compile(r"\b(xox[abpre](?:\.xox[abpre])?|xapp)-[A-Za-z0-9\-]+"), rf"\1-{MASK}"),
    (re.compile(r"(https?://hooks\.slack\.com/)[^\s\"'<>\\]+", re.I), rf"\1{MASK}"),
    (
        re.compile(r"\b((?:sk|rk)_(?:live|test)_|whsec_|dd0c_(?:live|test)_)[A-Za-z0-9_\-+/=]+"),
        rf"\1{MASK}",
    ),
    (re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=\-]+", re.I), rf"\1 {MASK}"),
    (re.compile(r"\b(?:IQoJb3JpZ2lu|FwoGZXIvYXdz|FQoGZXIvYXdz)[A-Za-z0-9/+=]{16,}"), MASK),
    (
        re.compile(r"\b((?:AKIA|ASIA)[A-Z0-9]{16}\W{1,8})[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])"),
        rf"\1{MASK}",
    ),
    (
        re.compile(
            r"(?<![a-z0-9+.\-])([a-z][a-z0-9+.\-]{0,30}://)[^/\s:@\"']{0,200}:[^/\s@\"']{0,200}@",
            re.I,
        ),
        rf"\1{MASK}@",
    ),
)
_SECRET_KEY = re.compile(rf"^{_KEY}$", re.I)


def redact(text: str) -> str:
    """`text` with every secret it holds masked."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


def redact_value(value: Any, key: str = "") -> Any:
    """A log field's value with secrets masked: by its key's name, or inside strings,
    mappings and sequences; any other object is logged as its redacted `str()`."""
    if key and _SECRET_KEY.match(key) and value is not None and not isinstance(value, bool):
        return MASK
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {str(k): redact_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(item) for item in value]
    return redact(str(value))
