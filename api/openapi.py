"""The OpenAPI 3.1 document of `/v1`, built from `api.routes.ROUTES` and the pydantic models the
handlers use (JSON Schema 2020-12 is OpenAPI 3.1's schema dialect, so they go in as they are)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from api.errors import PROBLEM_JSON
from api.models import Problem
from api.routes import OPENAPI_PATH, ROUTES, Route

REF = "#/components/schemas/{model}"
_PARAM = re.compile(r"{(\w+)}")
_PATH_PARAMS = {
    "id": {"type": "string", "pattern": r"^\d{12}$", "description": "AWS account id"},
    "service": {"type": "string", "description": "ec2, rds, …"},
    "type": {"type": "string", "description": "resource type: instance or ec2:instance"},
}
_STATUS_TEXT = {
    400: "the request is malformed",
    401: "no, unknown or revoked API key",
    403: "the key's scope, or the free plan, does not allow it",
    404: "not found in this workspace",
    409: "the account belongs to another workspace",
    422: "the role did not validate",
    429: "rate limit: see Retry-After",
    502: "Stripe refused or did not answer",
    503: "not configured on this service, or not answering",
}


def _models() -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {"Problem": Problem}
    for route in ROUTES:
        for model in (route.ok[1], route.body):
            if model is not None:
                found[model.__name__] = model
    return list(found.values())


def _schemas() -> dict[str, Any]:
    pairs = [(model, "serialization") for model in _models()]
    pairs += [(route.body, "validation") for route in ROUTES if route.body is not None]
    # The stub wants Sequence[tuple[type[BaseModel], Literal[...]]]; the list is built at run time.
    _, schema = models_json_schema(pairs, by_alias=True, ref_template=REF)  # type: ignore[arg-type]
    defs: dict[str, Any] = schema.get("$defs", {})
    return defs


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(by_alias=True)
    return [
        {"name": name, "in": "query", "required": False, "schema": prop}
        for name, prop in schema["properties"].items()
    ]


def _operation(route: Route) -> dict[str, Any]:
    status, model = route.ok
    problem = {PROBLEM_JSON: {"schema": {"$ref": REF.format(model="Problem")}}}
    responses: dict[str, Any] = {
        str(status): {
            "description": route.summary,
            "content": {"application/json": {"schema": {"$ref": REF.format(model=model.__name__)}}},
        }
    }
    for code in route.errors:
        responses[str(code)] = {"description": _STATUS_TEXT[code], "content": problem}
    operation: dict[str, Any] = {
        "operationId": f"{route.method.lower()}_{route.handler.__name__}",
        "summary": route.summary,
        "security": [{"apiKey": []}],
        "x-scope": route.scope,
        "responses": responses,
    }
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": _PATH_PARAMS[name]}
        for name in _PARAM.findall(route.path)
    ]
    if route.query is not None:
        parameters += _query_parameters(route.query)
    if parameters:
        operation["parameters"] = parameters
    if route.body is not None:
        ref = {"$ref": REF.format(model=route.body.__name__)}
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref}},
        }
    return operation


def document() -> dict[str, Any]:
    """The whole OpenAPI 3.1 document."""
    paths: dict[str, Any] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    paths[OPENAPI_PATH] = {
        "get": {
            "operationId": "get_openapi",
            "summary": "This document",
            "security": [],
            "responses": {
                "200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}
            },
        }
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "dd0c/cost API",
            "version": "1.0.0",
            "description": "Accounts and anomalies of one Slack workspace, read with an API key "
            "made in Slack (/dd0c api-key create <name> [read|write]).",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {
                "apiKey": {"type": "http", "scheme": "bearer", "bearerFormat": "dd0c_live_…"}
            },
        },
    }
