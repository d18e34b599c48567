"""Validating 100,000 product rows, as a price list import does: our checks from the
record-kind registry (localapp/kinds.py, localapp/checks.py) beside pydantic v2 and
msgspec doing the same checks, on the same rows, in the same run.

    .venv/bin/python benchmarks/bench_validation.py [--rows 100000] [--runs 3]

Every candidate checks the same rules: texts at most N characters (name
required), no control characters, a price in yuan with at most two decimals
turned into integer cents, and reports each bad row with the field and why.
The rows are what calamine or the csv module give: text cells, a few bad.
In-process figures (no server): this measures the validation step alone, to
choose how record kinds are declared (docs/architecture.md, "Record kinds").
"""

from __future__ import annotations

import argparse
import random
import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import median_ms, print_table, timed  # noqa: E402

from localapp import kinds  # noqa: E402
from localapp.checks import Invalid  # noqa: E402
from localapp.money import parse_money  # noqa: E402

LIMITS = {"sku": 100, "name": 200, "spec": 200, "unit": 20, "category": 100, "supplier": 200}


def make_rows(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        row = {
            "sku": f"WJ-{i:06d}",
            "name": rng.choice(["十字螺丝刀", "活动扳手", "尖嘴钳", "卷尺 5m"]) + f" {i}",
            "spec": rng.choice(["PH2×100mm", "8寸", "6寸", ""]),
            "unit": rng.choice(["把", "个", "套"]),
            "category": rng.choice(["五金", "工具", "量具"]),
            "supplier": rng.choice(["永康工具厂", "宁波五金", ""]),
            "price": f"{rng.randint(1, 99999) / 100:.2f}",
        }
        if i % 997 == 0:
            row["price"] = "abc"  # a bad cell now and then
        if i % 1499 == 0:
            row["name"] = ""
        rows.append(row)
    return rows


# -- ours: the registry's checks -------------------------------------------------------


def ours(rows: list[dict[str, Any]]) -> tuple[int, int]:
    checks = kinds.PRODUCT.checks()
    fields = [(f, checks[f]) for f in LIMITS]
    good = bad = 0
    for row in rows:
        problems = 0
        for name, check in fields:
            try:
                check(row.get(name))
            except Invalid:
                problems += 1
        try:
            parse_money(row.get("price"))
        except Invalid:
            problems += 1
        if problems:
            bad += 1
        else:
            good += 1
    return good, bad


# -- pydantic v2 -----------------------------------------------------------------------


def pydantic_validator() -> Any:
    from pydantic import AfterValidator, BaseModel, BeforeValidator, StringConstraints

    def no_control(value: str) -> str:
        if not value.isprintable():
            raise ValueError("must not contain control characters")
        return value

    def cents(value: Any) -> int:
        try:
            amount = Decimal(str(value).replace("¥", "").replace(",", "").strip())
        except ArithmeticError:
            raise ValueError("not a number") from None
        if amount < 0 or amount != amount.quantize(Decimal("0.01")):
            raise ValueError("not a price")
        return int(amount * 100)

    def text(n: int, required: bool = False) -> Any:
        return Annotated[
            str,
            StringConstraints(strip_whitespace=True, max_length=n, min_length=int(required)),
            AfterValidator(no_control),
        ]

    class Product(BaseModel):
        sku: text(100)  # type: ignore[valid-type]
        name: text(200, required=True)  # type: ignore[valid-type]
        spec: text(200)  # type: ignore[valid-type]
        unit: text(20)  # type: ignore[valid-type]
        category: text(100)  # type: ignore[valid-type]
        supplier: text(200)  # type: ignore[valid-type]
        price: Annotated[int, BeforeValidator(cents)]

    return Product


def with_pydantic(model: Any, rows: list[dict[str, Any]]) -> tuple[int, int]:
    from pydantic import ValidationError

    good = bad = 0
    validate = model.model_validate
    for row in rows:
        try:
            validate(row)
            good += 1
        except ValidationError:
            bad += 1
    return good, bad


# -- msgspec ---------------------------------------------------------------------------


def msgspec_type() -> Any:
    import msgspec

    def text(n: int, required: bool = False) -> Any:
        return Annotated[str, msgspec.Meta(max_length=n, min_length=int(required))]

    fields = [(name, text(n, required=name == "name")) for name, n in LIMITS.items()]
    return msgspec.defstruct("Product", [*fields, ("price", Decimal)])


def with_msgspec(struct: Any, rows: list[dict[str, Any]]) -> tuple[int, int]:
    import msgspec

    good = bad = 0
    convert = msgspec.convert
    for row in rows:
        try:
            item = convert(row, struct)
            # what msgspec has no declaration for: control characters, cents
            texts = (item.sku, item.name, item.spec, item.unit, item.category, item.supplier)
            if not all(t.isprintable() for t in texts):
                raise msgspec.ValidationError("control characters")
            if item.price < 0 or item.price != item.price.quantize(Decimal("0.01")):
                raise msgspec.ValidationError("not a price")
            good += 1
        except msgspec.ValidationError:
            bad += 1
    return good, bad


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows = make_rows(args.rows)
    model, struct = pydantic_validator(), msgspec_type()
    candidates = [
        ("localapp checks (kinds.py)", lambda: ours(rows)),
        ("pydantic v2, model per row", lambda: with_pydantic(model, rows)),
        ("msgspec, convert per row", lambda: with_msgspec(struct, rows)),
    ]
    results = []
    for name, fn in candidates:
        counts = fn()
        results.append((name, counts, median_ms(timed(fn, args.runs))))
    base = results[0][2]
    print_table(
        f"Validating {args.rows:,} product rows (in-process, median of {args.runs})",
        ["candidate", "good / bad rows", "ms", "× localapp"],
        [[n, f"{g:,} / {b:,}", f"{ms:,.0f}", f"{ms / base:.2f}"] for n, (g, b), ms in results],
    )


if __name__ == "__main__":
    main()
