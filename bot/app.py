"""The Bolt app on aiohttp: OAuth, /slack/events for commands, buttons and events.

`build(config, services)` returns the Bolt app; `routes(bolt)` the aiohttp routes app.py mounts.
Requests are verified with the signing secret (v0 scheme, 5-minute window) by Bolt before any
listener runs: unsigned, wrongly signed or stale requests get 401 and change nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import actions, commands, events
from bot.oauth import INSTALL_PATH, REDIRECT_PATH, oauth_settings
from bot.services import SlackServices

logger = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
BOLT_LOGGER = "slack_bolt.dd0c"


@dataclass(frozen=True, slots=True)
class SlackConfig:
    """The Slack app's credentials and where the Web API lives."""

    client_id: str
    client_secret: str
    signing_secret: str
    api_url: str = "https://slack.com/api/"


def build(config: SlackConfig, services: SlackServices) -> AsyncApp:
    """The Bolt app with every listener registered."""
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

    @app.error
    async def on_error(error: Exception, body: dict[str, Any], logger: logging.Logger) -> None:
        logger.exception("listener failed", exc_info=error)

    return app


def routes(bolt: AsyncApp | Callable[[], AsyncApp | None]) -> list[web.RouteDef]:
    """POST /slack/events, GET /slack/install and GET /slack/oauth_redirect.

    `bolt` may be a getter: app.py adds the routes before start-up has built the Bolt app.
    """

    def current() -> AsyncApp:
        app = bolt if isinstance(bolt, AsyncApp) else bolt()
        if app is None:
            raise web.HTTPServiceUnavailable(text="starting up")
        return app

    async def dispatch(request: web.Request) -> web.Response:
        response = await current().async_dispatch(await to_bolt_request(request))
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
