"""The OpenAPI 3.1 document: valid, served, and covering every route the API answers."""

from __future__ import annotations

from openapi_spec_validator import validate

from api import ROUTES
from api.openapi import document
from tests.api.harness import SPEC, served_api


def test_the_document_is_valid_openapi_3_1() -> None:
    validate(document())
    assert document()["openapi"].startswith("3.1")


def test_every_route_is_documented_with_its_error_bodies() -> None:
    for route in ROUTES:
        operation = SPEC["paths"][route.path][route.method.lower()]
        assert str(route.ok[0]) in operation["responses"]
        for status in (401, 429):
            if status in route.errors:
                content = operation["responses"][str(status)]["content"]
                assert list(content) == ["application/problem+json"]


def test_the_sensitivity_values_are_enforced_by_the_schema() -> None:
    schema = SPEC["components"]["schemas"]["SensitivityIn"]
    assert schema["properties"]["sensitivity"]["enum"] == ["low", "medium", "high"]
    assert schema["additionalProperties"] is False


async def test_the_document_is_served_without_a_key() -> None:
    async with served_api() as api:
        answer = await api.client.get("/v1/openapi.json")
        assert answer.status == 200
        assert await answer.json() == SPEC
