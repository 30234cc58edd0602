"""The OpenAPI 3.1 document of ``/api/v1``, built from the route tables and their models.

Nothing here names a path: every operation, parameter, body, answer and error comes from a
:class:`hub.api.routing.Route`, so the document says what the routes do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic.json_schema import models_json_schema

from hub.api.access import SESSION_COOKIE
from hub.api.models import ErrorBody
from runtime import __version__

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pydantic import BaseModel
    from pydantic.json_schema import JsonSchemaMode

    from hub.api.routing import Route

_REF = "#/components/schemas/{model}"
_ERRORS = {
    401: "not signed in, or a bad token",
    403: "signed in, but not allowed (role, or a change without the CSRF header)",
    404: "no such thing, or not in the caller's districts",
    409: "the state of what was asked for does not allow this (the body says why)",
    422: "a field, parameter or the body of the request is not valid (the body names it)",
    429: "too many failed sign-ins from this address or for this user name: wait",
}


def openapi_document(routes: Sequence[Route]) -> dict[str, Any]:
    """The whole document for ``routes``."""
    refs, schemas = _schemas(routes)
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Telecare operator API", "version": __version__},
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": SESSION_COOKIE},
                "token": {"type": "http", "scheme": "bearer"},
            },
        },
        "security": [{"session": []}, {"token": []}],
        "paths": paths,
    }


_Key = tuple[type["BaseModel"], "JsonSchemaMode"]


def _schemas(routes: Sequence[Route]) -> tuple[dict[_Key, dict[str, Any]], dict[str, Any]]:
    """Each body's schema in validation mode, each answer's in serialization mode."""
    keys: list[_Key] = [(ErrorBody, "serialization")]
    for route in routes:
        if "body" in route.inputs:
            keys.append((route.inputs["body"], "validation"))
        if route.response is not None:
            keys.append((route.response, "serialization"))
    refs, top = models_json_schema(list(dict.fromkeys(keys)), ref_template=_REF)
    return {key: refs[key] for key in keys}, top.get("$defs", {})


def _operation(route: Route, refs: dict[_Key, dict[str, Any]]) -> dict[str, Any]:
    responses: dict[str, Any] = {
        str(status): {"description": text} for status, text in route.responses.items()
    }
    if route.response is not None:
        responses["200"] = {
            "description": "done",
            "content": {"application/json": {"schema": refs[(route.response, "serialization")]}},
        }
    for status in sorted(route.errors):
        responses[str(status)] = {
            "description": _ERRORS[status],
            "content": {"application/json": {"schema": refs[(ErrorBody, "serialization")]}},
        }
    operation: dict[str, Any] = {
        "operationId": route.operation_id,
        "summary": route.summary,
        "responses": responses,
    }
    if route.handler.__doc__:
        operation["description"] = route.handler.__doc__.strip()
    parameters = [
        parameter
        for where in ("path", "query")
        if where in route.inputs
        for parameter in _parameters(route.inputs[where], where)
    ]
    if parameters:
        operation["parameters"] = parameters
    if "body" in route.inputs:
        schema = refs[(route.inputs["body"], "validation")]
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schema}},
        }
    if route.public:
        operation["security"] = []
    return operation


def _parameters(model: type[BaseModel], where: str) -> list[dict[str, Any]]:
    """A parameters model's fields as OpenAPI parameters (by their names in the request)."""
    schema = model.model_json_schema(by_alias=True)
    required = set(schema.get("required", []))
    parameters = []
    for name, field in schema["properties"].items():
        field_schema = _without_null(field)
        description = field_schema.pop("description", None)
        field_schema.pop("title", None)
        parameter: dict[str, Any] = {
            "name": name,
            "in": where,
            "required": where == "path" or name in required,
            "schema": field_schema,
        }
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _without_null(field: dict[str, Any]) -> dict[str, Any]:
    """A parameter's schema without pydantic's "or null": an absent parameter is the null."""
    field = dict(field)
    options = field.pop("anyOf", None)
    if options is None:
        return field
    (kept,) = [option for option in options if option.get("type") != "null"]
    return {**field, **kept}
