"""Reading requests into models and writing models as responses."""

from __future__ import annotations

from typing import TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from api.errors import BadRequest

MAX_BODY = 16 * 1024
M = TypeVar("M", bound=BaseModel)


def json_response(model: BaseModel, status: int = 200) -> web.Response:
    """`model` as application/json (camelCase)."""
    return web.Response(
        status=status, body=model.model_dump_json(by_alias=True), content_type="application/json"
    )


def first_error(exc: ValidationError) -> str:
    """The first validation error as one sentence naming the field."""
    error = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in error["loc"]) or "body"
    return f"{where}: {error['msg'].removeprefix('Value error, ')}"


async def read_body(request: web.Request, model: type[M]) -> M:
    """The JSON body as `model`; BadRequest naming the field when it is not."""
    if request.content_type != "application/json":
        raise BadRequest("send the body as application/json", code="content_type")
    if (request.content_length or 0) > MAX_BODY:
        raise BadRequest(f"the body is larger than {MAX_BODY} bytes", code="too_large")
    raw = await request.content.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise BadRequest(f"the body is larger than {MAX_BODY} bytes", code="too_large")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise BadRequest(first_error(exc), code="invalid_body") from None


def read_query(request: web.Request, model: type[M]) -> M:
    """The query string as `model` (first value of each name); BadRequest when it is not."""
    values = {name: request.query.getone(name) for name in request.query}
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise BadRequest(first_error(exc), code="invalid_query") from None
