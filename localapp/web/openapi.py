"""The HTTP API described as OpenAPI 3.1, from the routes and the record-kind registry.

`describe(app)` walks the routes the app really has (so a route cannot be
missing from the description) and takes the request and record shapes from
`localapp/kinds.py`: each field's JSON Schema comes from its check
(`checks.schema_of`), so what the description says a field accepts is what
the server checks. A route's summary is the first line of its handler's
docstring. Served at `GET /api/openapi.json`; docs/api.md lists the same
routes (tests/http/test_openapi.py holds the two together).
"""

from __future__ import annotations

import functools
import re
from typing import Any

import bottle

from .. import __version__, kinds
from ..checks import schema_of

#: bottle's `<name>` and `<name:filter>` in a rule, OpenAPI's `{name}` in a path
_PARAM = re.compile(r"<([a-zA-Z_][a-zA-Z0-9_]*)(?::[^>]*)?>")

#: the routes whose JSON body is one record of a kind: (path prefix, table)
_RECORD_BODIES = {
    "/api/projects": "projects",
    "/api/tasks": "tasks",
    "/api/task-types": "task_types",
    "/api/products": "products",
}

_TEXT = {"type": "string"}
#: the JSON bodies of the other routes that take one: (method, path) -> schema
_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/login"): {
        "type": "object",
        "required": ["username", "password"],
        "properties": {"username": _TEXT, "password": _TEXT},
    },
    ("PUT", "/api/sync/settings"): {
        "type": "object",
        "properties": {
            "url": {"type": ["string", "null"]},
            "token": {"type": ["string", "null"]},
            "interval": {"type": ["integer", "string", "null"]},
        },
    },
    ("POST", "/api/sync/push"): {
        "type": "object",
        "required": ["batch", "replica", "records"],
        "properties": {
            "batch": _TEXT,
            "replica": _TEXT,
            "records": {"type": "array", "items": {"type": "object"}},
        },
    },
    ("POST", "/api/sync/conflicts/resolve"): {"type": "object"},
    ("POST", "/api/problems/fix"): {
        "type": "object",
        "required": ["problem", "action"],
        "properties": {"problem": _TEXT, "action": _TEXT},
    },
    ("POST", "/api/data"): {
        "type": "object",
        "properties": {
            key: {"type": "array", "items": {"type": "object"}}
            for key in ("projects", "tasks", "taskTypes")
        },
    },
}

_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "title": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                "field_codes": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        }
    },
}

_FIELD_TYPES: dict[str, dict[str, Any]] = {
    "time": {"type": "string", "format": "date-time"},
    "money": {"type": "integer", "minimum": 0, "description": "cents (fen)"},
    "keys": {"type": "array", "items": {"type": "string"}},
    "json": {},
}


def kind_schema(kind: kinds.Kind, *, new: bool) -> dict[str, Any]:
    """The JSON Schema of a record a client sends (`new`: to create it)."""
    props: dict[str, Any] = {"id": {"type": ["string", "integer"]}}
    for name, fld in kind.fields.items():
        schema = (
            schema_of(fld.check) if fld.check is not None else dict(_FIELD_TYPES.get(fld.type, {}))
        )
        if fld.label:
            schema["x-label"] = fld.label
        props[name] = schema
    if kind.table == "products":  # the price may come as text in yuan instead of cents
        props["price_decimal"] = {"type": ["string", "number", "null"]}
    out: dict[str, Any] = {"type": "object", "properties": props}
    required = [n for n, f in kind.fields.items() if f.required and f.check is not None]
    if new and required:
        out["required"] = required
    return out


def _summary(callback: Any) -> str:
    while isinstance(callback, functools.partial):
        callback = callback.func
    doc = (getattr(callback, "__doc__", None) or "").strip()
    return doc.splitlines()[0].rstrip(".") if doc else ""


def _operation(route: bottle.Route, path: str) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": _summary(route.callback),
        "responses": {
            "200": {"description": "OK"},
            "4XX": {
                "description": "refused: the error says why",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
        },
    }
    params = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PARAM.findall(route.rule)
    ]
    if params:
        op["parameters"] = params
    table = _RECORD_BODIES.get(path.removesuffix("/{id}"))
    body: dict[str, Any] | None = _BODIES.get((route.method, path))
    if table and route.method in ("POST", "PATCH") and not path.endswith("/import"):
        ref = f"#/components/schemas/{_name(table)}{'' if route.method == 'POST' else 'Change'}"
        body = {"$ref": ref}
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if route.config.get("auth") is not False:
        op["security"] = [{"bearer": []}, {"session": []}]
    return op


def _name(table: str) -> str:
    return "".join(part.capitalize() for part in table.split("_")).removesuffix("s")


def describe(app: bottle.Bottle) -> dict[str, Any]:
    """The app's routes and record shapes as an OpenAPI 3.1 document."""
    paths: dict[str, dict[str, Any]] = {}
    for route in app.routes:
        path = _PARAM.sub(r"{\1}", route.rule)
        paths.setdefault(path, {})[route.method.lower()] = _operation(route, path)
    schemas: dict[str, Any] = {"Error": _ERROR}
    for kind in kinds.KINDS:
        if kind.table in _RECORD_BODIES.values():
            schemas[_name(kind.table)] = kind_schema(kind, new=True)
            schemas[_name(kind.table) + "Change"] = kind_schema(kind, new=False)
    return {
        "openapi": "3.1.0",
        "info": {"title": "localapp", "version": __version__},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "localapp_session"},
            },
        },
    }
