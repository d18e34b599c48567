"""Size rules of the code (docs/architecture.md): no module over about 600 lines and
no function over about 80, so each file and function can be read whole."""

from __future__ import annotations

import ast

from conftest import ROOT

MAX_MODULE_LINES = 650
MAX_FUNCTION_LINES = 80
#: modules allowed over the limit for now, with the reason
LARGER: dict[str, int] = {}


def sources() -> list[str]:
    return sorted(
        str(p.relative_to(ROOT))
        for root in ("localapp", "sync")
        for p in (ROOT / root).rglob("*.py")
    )


def test_no_module_or_function_is_too_long_to_read_whole() -> None:
    too_long: list[str] = []
    for rel in sources():
        text = (ROOT / rel).read_text(encoding="utf-8")
        lines = text.count("\n")
        if lines > LARGER.get(rel, MAX_MODULE_LINES):
            too_long.append(f"{rel}: {lines} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > MAX_FUNCTION_LINES:
                    too_long.append(f"{rel}:{node.lineno} {node.name}(): {size} lines")
    assert too_long == []
