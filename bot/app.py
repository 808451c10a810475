"""The Bolt app on aiohttp: OAuth, /slack/events for commands, buttons and events.

`build(config, services)` returns the Bolt app; `routes(bolt)` the aiohttp routes app.py mounts.
Requests are checked by `bot.edge` (headers, signature, body shape) and verified again by Bolt
(v0 scheme, 5-minute window) before any listener runs: unsigned, wrongly signed or stale requests
get 401, malformed ones 400, and change nothing.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot import actions, commands, events
from bot.edge import checked_request
from bot.oauth import INSTALL_PATH, REDIRECT_PATH, oauth_settings
from bot.services import SlackServices

logger = logging.getLogger(__name__)
# The signing secret of each Bolt app `build` made, for bot.edge's own signature check.
_SIGNING_SECRETS: WeakKeyDictionary[AsyncApp, str] = WeakKeyDictionary()

EVENTS_PATH = "/slack/events"
BOLT_LOGGER = "slack_bolt.dd0c"


@dataclass(frozen=True, slots=True)
class SlackConfig:
    """The Slack app's credentials and where the Web API lives."""

    client_id: str
    client_secret: str
    signing_secret: str
    api_url: str = "https://slack.com/api/"


def build(
    config: SlackConfig,
    services: SlackServices,
    extra: Sequence[Callable[[AsyncApp], None]] = (),
) -> AsyncApp:
    """The Bolt app with every listener registered (`extra`: more registrations, e.g. the
    onboarding listeners, made here too, so nothing is registered on a finished app)."""
    app = AsyncApp(
        signing_secret=config.signing_secret,
        client=AsyncWebClient(base_url=config.api_url),
        oauth_settings=oauth_settings(
            services, config.client_id, config.client_secret, config.api_url
        ),
        # Bolt's own loggers (and the listeners' context loggers, named after the app) stay
        # under "slack_bolt": library logging, at LOG_LEVEL_THIRD_PARTY (they log payloads).
        logger=logging.getLogger(BOLT_LOGGER),
        name=BOLT_LOGGER,
    )
    commands.register(app, services)
    actions.register(app, services)
    events.register(app, services)
    for register in extra:
        register(app)

    @app.error
    async def on_error(
        error: Exception, body: dict[str, Any], logger: logging.Logger
    ) -> BoltResponse | None:
        if _bolt_choked(error):  # on a payload bot.edge let through: still the sender's fault
            logger.warning("malformed Slack payload (%s)", type(error).__name__)
            return BoltResponse(status=400, body="malformed payload")
        logger.exception("listener failed", exc_info=error)
        return None

    _SIGNING_SECRETS[app] = config.signing_secret
    return app


def _bolt_choked(error: Exception) -> bool:
    """Whether `error` is a lookup or type error raised inside slack_bolt's own code (its
    matchers and context builders index the payload without checking it)."""
    if not isinstance(error, KeyError | IndexError | TypeError | AttributeError | ValueError):
        return False
    frame, last = error.__traceback__, None
    while frame is not None:
        last, frame = frame, frame.tb_next
    return last is not None and f"{os.sep}slack_bolt{os.sep}" in last.tb_frame.f_code.co_filename


def routes(
    bolt: AsyncApp | Callable[[], AsyncApp | None], now: Callable[[], float] = time.time
) -> list[web.RouteDef]:
    """POST /slack/events, GET /slack/install and GET /slack/oauth_redirect.

    `bolt` may be a getter: app.py adds the routes before start-up has built the Bolt app.
    Every /slack/events request passes `bot.edge` first (401/400/413 before Bolt sees it).
    """

    def current() -> AsyncApp:
        app = bolt if isinstance(bolt, AsyncApp) else bolt()
        if app is None:
            raise web.HTTPServiceUnavailable(text="starting up")
        return app

    async def dispatch(request: web.Request) -> web.Response:
        app = current()
        checked = await checked_request(request, _SIGNING_SECRETS.get(app), now)
        if isinstance(checked, web.Response):
            logger.info("Slack request refused", extra={"status": checked.status})
            return checked
        try:
            response = await app.async_dispatch(checked)
        except Exception as error:  # Bolt's error path re-reads the payload that broke it
            if not _bolt_choked(error):
                raise
            logger.warning("malformed Slack payload (%s)", type(error).__name__)
            return web.json_response({"ok": False, "error": "malformed payload"}, status=400)
        return await to_aiohttp_response(response)

    async def install(request: web.Request) -> web.Response:
        flow = current().oauth_flow
        assert flow is not None  # built with oauth_settings
        return await to_aiohttp_response(
            await flow.handle_installation(await to_bolt_request(request))
        )

    async def redirect(request: web.Request) -> web.Response:
        flow = current().oauth_flow
        assert flow is not None  # built with oauth_settings
        return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

    return [
        web.post(EVENTS_PATH, dispatch),
        web.get(INSTALL_PATH, install),
        web.get(REDIRECT_PATH, redirect),
    ]
