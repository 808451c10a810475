"""aiohttp's access log as JSON fields, without query values or the Referer.

Query strings carry secrets on some routes (the OAuth `code` and `state` of
/slack/oauth_redirect), and any route can be sent one, so no query value is ever logged: only the
parameter names, as `?code=***&state=***`.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

from logconfig.redact import MASK

MAX_PATH = 300


class AccessLogger(AbstractAccessLogger):
    """One INFO record a request: method, path (query values masked), status, size, time."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        """Log the finished request."""
        path = request.rel_url.path
        if len(path) > MAX_PATH:  # the client chose it: bound what logging and redaction cost
            path = path[:MAX_PATH] + "…"
        names = [name for name, _ in parse_qsl(request.rel_url.raw_query_string, True)]
        if names:
            path += "?" + "&".join(f"{name[:40]}={MASK}" for name in names[:10])
        self.logger.info(
            "%s %s %s",
            request.method,
            path,
            response.status,
            extra={
                "remote": request.remote,
                "status": response.status,
                "bytes": response.body_length,
                "duration_ms": round(time * 1000, 1),
                "user_agent": request.headers.get("User-Agent", "")[:200],
            },
        )
