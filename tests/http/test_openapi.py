"""The OpenAPI description (`GET /api/openapi.json`) over HTTP, against docs/api.md.

Both list the same routes; the description's record schemas say what the
server checks, so a body the schema refuses is refused by the server too.
"""

from __future__ import annotations

import re
from typing import Any

from conftest import ROOT, Server

from localapp import kinds

API_MD = ROOT / "docs" / "api.md"


def documented_routes() -> set[tuple[str, str]]:
    """(METHOD, path) of every row of docs/api.md's index, `<id>` written `{id}`."""
    rows = re.findall(r"^\| `([A-Z]+) (/[^`]*)` \|", API_MD.read_text("utf-8"), re.M)
    return {(m, re.sub(r"<([a-z_0-9]+)(?::[^>]*)?>", r"{\1}", p)) for m, p in rows}


def description(server: Server) -> dict[str, Any]:
    r = server.request("GET", "/api/openapi.json", auth=False)
    assert r.status == 200, r.body
    doc = r.json()
    assert isinstance(doc, dict)
    return doc


def test_the_description_and_docs_api_md_list_the_same_routes(server: Server) -> None:
    doc = description(server)
    assert doc["openapi"] == "3.1.0" and doc["info"]["title"] == "localapp"
    described = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    documented = documented_routes()
    assert described - documented == set(), "routes the server has but docs/api.md lacks"
    assert documented - described == set(), "routes docs/api.md names that do not exist"
    # path parameters are declared, and sign-in is said where it is needed
    one = doc["paths"]["/api/tasks/{id}"]["patch"]
    assert one["parameters"][0]["name"] == "id" and one["security"]
    assert "security" not in doc["paths"]["/api/login"]["post"]
    assert "security" not in doc["paths"]["/api/openapi.json"]["get"]
    # every operation says what it does (its handler's docstring)
    unsaid = [
        f"{m.upper()} {p}"
        for p, ops in doc["paths"].items()
        for m, op in ops.items()
        if not op["summary"]
    ]
    assert unsaid == []


def test_record_schemas_come_from_the_registry_and_match_the_server(server: Server) -> None:
    schemas = description(server)["components"]["schemas"]
    task = schemas["Task"]
    assert task["required"] == ["project_id", "name", "start", "end"]
    assert task["properties"]["name"]["maxLength"] == 200
    assert task["properties"]["progress"] == {
        "type": ["integer", "null"],
        "minimum": 0,
        "maximum": 100,
        "x-label": kinds.TASK.fields["progress"].label,
    }
    assert "required" not in schemas["TaskChange"]
    assert schemas["Product"]["required"] == ["name"]
    # what the schema refuses, the server refuses; what it allows, it takes
    project = server.request("POST", "/api/projects", {"name": "描述"}).json()
    base = {"project_id": project["id"], "start": "2026-03-02", "end": "2026-03-03"}
    too_long = server.request("POST", "/api/tasks", {**base, "name": "长" * 201})
    assert too_long.status == 400 and "name" in too_long.json()["error"]["fields"]
    over = server.request("POST", "/api/tasks", {**base, "name": "满", "progress": 101})
    assert over.status == 400 and "progress" in over.json()["error"]["fields"]
    ok = server.request("POST", "/api/tasks", {**base, "name": "长" * 200, "progress": 100})
    assert ok.status == 201, ok.body
