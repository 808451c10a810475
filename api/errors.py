"""The API's errors, each answered as `application/problem+json` (RFC 9457).

ApiError                 status + title + detail (+ code, upgrade URL, headers)
├── Unauthorized         401: no, unknown or revoked key
├── Forbidden            403: the key's scope, or the plan, does not allow it
├── NotFound             404: nothing of this workspace by that id
├── BadRequest           400: a parameter or body the schema refuses
├── RateLimited          429: the key's requests per minute are used up (Retry-After)
└── Unavailable          503: billing is not configured on this service
"""

from __future__ import annotations

from aiohttp import web

from api.models import Problem

PROBLEM_JSON = "application/problem+json"


class ApiError(Exception):
    """An answer other than success, with what the caller can do about it."""

    status = 400
    title = "Bad Request"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        upgrade_url: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code
        self.upgrade_url = upgrade_url
        self.headers = headers or {}

    def response(self) -> web.Response:
        """The problem+json response."""
        body = Problem(
            title=self.title,
            status=self.status,
            detail=self.detail,
            code=self.code,
            upgrade_url=self.upgrade_url,
        )
        return problem_response(body, self.headers)


class BadRequest(ApiError):
    """400."""


class Unauthorized(ApiError):
    """401."""

    status = 401
    title = "Unauthorized"


class Forbidden(ApiError):
    """403."""

    status = 403
    title = "Forbidden"


class NotFound(ApiError):
    """404."""

    status = 404
    title = "Not Found"


class MethodNotAllowed(ApiError):
    """405."""

    status = 405
    title = "Method Not Allowed"


class Conflict(ApiError):
    """409."""

    status = 409
    title = "Conflict"


class Unprocessable(ApiError):
    """422."""

    status = 422
    title = "Unprocessable Content"


class RateLimited(ApiError):
    """429."""

    status = 429
    title = "Too Many Requests"


class Unavailable(ApiError):
    """503."""

    status = 503
    title = "Service Unavailable"


def problem_response(body: Problem, headers: dict[str, str] | None = None) -> web.Response:
    """`body` as application/problem+json."""
    return web.Response(
        status=body.status,
        body=body.model_dump_json(by_alias=True, exclude_none=True),
        content_type=PROBLEM_JSON,
        headers=headers,
    )
