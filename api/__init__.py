"""The REST API (seed 5.1-5.3, 9.3): `/v1` for API keys made in Slack, on the same aiohttp app.

`api_routes(current)` returns the routes app/wiring.py mounts; `ApiServices` is what they use.
"""

from api.auth import Authenticator, RateLimit
from api.routes import OPENAPI_PATH, ROUTES, api_routes
from api.services import ApiServices

__all__ = ["OPENAPI_PATH", "ROUTES", "ApiServices", "Authenticator", "RateLimit", "api_routes"]
