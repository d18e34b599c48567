"""Bad input is never a 5xx: schemathesis against a real `localapp serve` on
127.0.0.1, every operation of the served OpenAPI description, with generated
bodies, paths and query strings (bounded: LOCALAPP_FUZZ_EXAMPLES a route, 15
by default, about a minute in all).

A 4xx must also change nothing: after each refused write the data document
is as it was.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from conftest import Server, start_server
from hypothesis import HealthCheck, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

EXAMPLES = int(os.environ.get("LOCALAPP_FUZZ_EXAMPLES", "15"))
#: routes whose effects reach outside the server (sync rounds call a server;
#: the desktop routes exist only in desktop mode) or that must change data
SKIPPED = ("/api/sync/run", "/api/logout", "/desktop/")


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("fuzz") / "data")
    project = server.request("POST", "/api/projects", {"name": "模糊测试"}).json()
    server.request(
        "POST",
        "/api/tasks",
        {
            "project_id": project["id"],
            "name": "任务",  # type: ignore[index]
            "start": "2026-03-02",
            "end": "2026-03-03",
        },
    )
    server.request("POST", "/api/products", {"sku": "FZ-1", "name": "扳手", "price": 100})
    try:
        yield server
    finally:
        server.stop()


def snapshot(server: Server) -> bytes:
    return (
        server.request("GET", "/api/data").body
        + server.request("GET", "/api/products?per_page=500").body
    )


def test_no_input_makes_a_server_error_and_no_refused_write_changes_data(
    fuzzed: Server,
) -> None:
    from hypothesis import given

    schema = schemathesis.openapi.from_url(fuzzed.url + "/api/openapi.json")
    headers = {"Authorization": f"Bearer {fuzzed.token}"}
    tried: list[str] = []

    def check(case: Any) -> None:
        write = case.method.upper() != "GET"
        before = snapshot(fuzzed) if write else b""
        response = case.call(base_url=fuzzed.url, headers=headers)
        assert response.status_code < 500, (
            case.method,
            case.formatted_path,
            response.status_code,
            response.text[:500],
        )
        if write and 400 <= response.status_code < 500:
            assert snapshot(fuzzed) == before, (
                case.method,
                case.formatted_path,
                response.text[:300],
            )

    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        if any(part in operation.path for part in SKIPPED):
            continue
        tried.append(label)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode)
            run = settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )(given(case=strategy)(check))
            try:
                run()
            except Unsatisfiable:
                # nothing to make invalid (a GET without parameters, say)
                assert mode is GenerationMode.NEGATIVE, label
    assert len(tried) > 40, tried
