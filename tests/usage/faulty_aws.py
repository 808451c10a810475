"""An HTTP proxy on 127.0.0.1 in front of moto's server that answers like AWS when it refuses.

moto never throttles and serves every region; this proxy makes the first calls of an action
answer `Throttling` (HTTP 400, the query protocol's XML error) and a whole region answer
`AccessDenied` (HTTP 403), and forwards everything else to moto unchanged.
"""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import parse_qs

import aiohttp
from aiohttp import web

_REGION = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")
_HOP = {"host", "content-length", "transfer-encoding", "connection"}


def _error(status: int, code: str, message: str) -> web.Response:
    body = (
        "<ErrorResponse><Error><Type>Sender</Type>"
        f"<Code>{code}</Code><Message>{message}</Message></Error>"
        "<RequestId>faulty-aws</RequestId></ErrorResponse>"
    )
    return web.Response(status=status, text=body, content_type="text/xml")


class FaultyAws:
    """The proxy: `throttle[action] = n` throttles the next n calls; `denied` regions get 403."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.throttle: Counter[str] = Counter()
        self.denied: set[str] = set()
        self.denied_paths: set[str] = set()  # REST services (Lambda): path prefixes answered 403
        self.calls: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()
        self.endpoint = ""
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None

    async def start(self) -> str:
        """Serve on 127.0.0.1 and a free port; the endpoint URL."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.endpoint = f"http://127.0.0.1:{port}"
        return self.endpoint

    async def stop(self) -> None:
        """Stop serving and close the upstream client."""
        if self._runner is not None:
            await self._runner.cleanup()
        if self._client is not None:
            await self._client.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        action = parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
        found = _REGION.search(request.headers.get("Authorization", ""))
        region = found.group(1) if found else ""
        self.calls[action] += 1
        if region in self.denied:
            return _error(403, "AccessDenied", f"explicit deny in {region}")
        if any(request.path.startswith(p) for p in self.denied_paths):
            return web.json_response(
                {"Type": "User", "message": "not authorized to perform this action"},
                status=403,
                headers={"x-amzn-ErrorType": "AccessDeniedException"},
            )
        if self.throttle[action] > 0:
            self.throttle[action] -= 1
            self.throttled[action] += 1
            return _error(400, "Throttling", "Rate exceeded")
        return await self._forward(request, body)

    async def _forward(self, request: web.Request, body: bytes) -> web.Response:
        assert self._client is not None
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
        async with self._client.request(
            request.method, f"{self.upstream}{request.path_qs}", headers=headers, data=body
        ) as answer:
            payload = await answer.read()
            kept = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP}
            return web.Response(status=answer.status, body=payload, headers=kept)
