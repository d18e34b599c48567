"""Applying a parsed price list to the catalogue: preview, then one transaction.

Rows match products by SKU (without regard to case), else by name; a matched
row changes only the columns the sheet has, a new row needs a name and a
price. A commit writes every created and updated product, or none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import errors
from ..records import Doc, gc_paused, new_ids, now_iso, same
from ..store import Store
from .fields import NEW_DEFAULTS, PRODUCTS, SPARSE, content_of, stamp_change, stamp_new
from .imports import ParsedProducts, ProductRow
from .search import ProductIndex, fold

if TYPE_CHECKING:
    from .products import Catalogue

#: How many row errors an import report lists (the counts are always complete).
MAX_REPORTED_ERRORS = 1000
PREVIEW_ROWS = 100


@dataclass
class ImportOptions:
    commit: bool = False
    skip_errors: bool = False
    by: str = ""
    file_name: str = ""


def apply_import(
    catalogue: Catalogue, parsed: ParsedProducts, options: ImportOptions
) -> dict[str, Any]:
    """Preview (commit=False) or commit a parsed spreadsheet; returns the report.

    A commit is one transaction: every created and updated product, or
    none. It is refused (ValidationError carrying the report) when any row
    has a problem, unless `skip_errors`. The plan is made again inside the
    transaction, so a preview made earlier can never be applied stale.
    """
    with gc_paused():
        if not options.commit:
            with catalogue.reading() as index:
                plan = ImportPlan.make(catalogue.store, index, parsed, options)
            return plan.report(parsed, options, committed=False)
        with catalogue.writing() as index:
            plan = ImportPlan.make(catalogue.store, index, parsed, options)
            if plan.errored and not options.skip_errors:
                report = plan.report(parsed, options, committed=False)
                raise errors.ValidationError(
                    f"{plan.errored} row(s) have problems, so nothing was imported. Fix "
                    "them, or import only the good rows (skip_errors=1).",
                    fields={"file": f"{plan.errored} row(s) with problems"},
                    extra={"report": report},
                )
            catalogue.write_products(plan.inserts, plan.replaces)
        return plan.report(parsed, options, committed=True)


@dataclass
class ImportPlan:
    inserts: list[Doc]
    replaces: dict[int, Doc]
    created: int
    updated: int
    unchanged: int
    errored: int
    errors: list[Doc]
    preview: list[Doc]
    error_count: int = 0

    @classmethod
    def make(
        cls, store: Store, index: ProductIndex, parsed: ParsedProducts, options: ImportOptions
    ) -> ImportPlan:
        """What importing `parsed` does to the products in `index`: row by row,
        a new product, a change, no change, or the row's problems."""
        plan = cls([], {}, 0, 0, 0, 0, [], [])
        rows = _Rows(store, index, parsed, options)
        for n, row in enumerate(parsed.rows):
            found, problems = rows.match(row)
            if not problems:
                if found is None:
                    problems = plan._create(rows, n, row)
                else:
                    plan._change(rows, row, found)
            if problems:
                plan._refuse(row, problems)
        plan.errors.sort(key=lambda e: e["row"])
        return plan

    def _create(self, rows: _Rows, n: int, row: ProductRow) -> list[Doc]:
        """Plan a new product from a row; its problems if it cannot be one."""
        # The row's values were checked field by field when the sheet was
        # parsed; only a new product's name or price can be missing.
        content = {
            **NEW_DEFAULTS,
            "tags": [],
            "images": [],
            "name": "",
            "price": None,
            **row.values,
        }
        for name in ("name", "price"):
            if content[name] in (None, ""):
                why = f"{name} is required for a new product"
                return [rows.parsed.mapping.row_error(row.row, name, why, "required")]
        options = rows.options
        doc = stamp_new(
            rows.fresh_ids[n], content, rows.now, "import", options.by, options.file_name
        )
        self.inserts.append(doc)
        self.created += 1
        self._preview(row.row, "created", doc, None)
        return []

    def _change(self, rows: _Rows, row: ProductRow, found: tuple[int, Doc]) -> None:
        """Plan the change a row makes to the product it matched (or none)."""
        doc_id, slim = found
        values = {k: v for k, v in row.values.items() if k in rows.parsed.mapped}
        values.pop("sku", None)  # matched on it; keep the stored spelling
        if not values.get("name", "x"):
            values.pop("name")  # an empty name cell keeps the stored name
        # The index's copy lacks only the price history, which content_of
        # ignores: enough to tell "unchanged" cheaply.
        # an empty cell of a field the product leaves out (SPARSE) changes nothing
        values = {k: v for k, v in values.items() if k in slim or k not in SPARSE or v}
        if "grade_prices" in values:  # a 批发价 column sets that grade, keeps the others
            values["grade_prices"] = {**(slim.get("grade_prices") or {}), **values["grade_prices"]}
        content = {**content_of(slim), **values}
        if same(content, content_of(slim)):
            self.unchanged += 1
            self._preview(row.row, "unchanged", slim, slim.get("price"))
            return
        stored = rows.table.get(doc_id=doc_id)
        base = dict(stored) if stored is not None else dict(slim)
        options = rows.options
        doc = stamp_change(base, content, rows.now, "import", options.by, options.file_name)
        self.replaces[doc_id] = doc
        self.updated += 1
        self._preview(row.row, "updated", doc, base.get("price"))

    def _refuse(self, row: ProductRow, problems: list[Doc]) -> None:
        self.errored += 1
        for err in problems:
            self.error_count += 1
            if len(self.errors) < MAX_REPORTED_ERRORS:
                self.errors.append(err)
        if len(self.preview) < PREVIEW_ROWS:
            self.preview.append(
                {
                    "row": row.row,
                    "action": "error",
                    "sku": row.values.get("sku") or "",
                    "name": row.values.get("name", ""),
                    "price": row.values.get("price"),
                    "old_price": None,
                    "reasons": [e["reason"] for e in problems],
                }
            )

    def _preview(
        self, row: int, action: str, doc: Mapping[str, Any], old_price: int | None
    ) -> None:
        if len(self.preview) < PREVIEW_ROWS:
            self.preview.append(
                {
                    "row": row,
                    "action": action,
                    "sku": doc.get("sku", ""),
                    "name": doc.get("name", ""),
                    "price": doc.get("price"),
                    "old_price": old_price,
                }
            )

    def report(
        self, parsed: ParsedProducts, options: ImportOptions, *, committed: bool
    ) -> dict[str, Any]:
        return {
            "dry_run": not options.commit,
            "committed": committed,
            "file": options.file_name,
            **parsed.describe(),
            "counts": {
                "rows": len(parsed.rows),
                "created": self.created,
                "updated": self.updated,
                "unchanged": self.unchanged,
                "errored": self.errored,
            },
            "errors": self.errors,
            "errors_truncated": self.error_count - len(self.errors),
            "preview": sorted(self.preview, key=lambda p: p["row"]),
        }


class _Rows:
    """What matching the rows of one import needs: the index, names folded on
    first use, which product each row matched, ids and the time for new ones."""

    def __init__(
        self, store: Store, index: ProductIndex, parsed: ParsedProducts, options: ImportOptions
    ) -> None:
        self.index = index
        self.parsed = parsed
        self.options = options
        self.table = store.table(PRODUCTS)
        self.now = now_iso()
        self.fresh_ids = new_ids(len(parsed.rows))
        self.errors_by_row: dict[int, list[Doc]] = {}
        for err in parsed.row_errors:
            self.errors_by_row.setdefault(err["row"], []).append(err)
        self._by_name: dict[str, list[int]] | None = None
        self._matched: dict[int, int] = {}  # doc id -> the row that matched it first

    def match(self, row: ProductRow) -> tuple[tuple[int, Doc] | None, list[Doc]]:
        """The product a row matches (by SKU, else by name), and the row's problems."""
        problems = self.errors_by_row.get(row.row) or []
        if problems:
            return None, problems
        sku = row.values.get("sku") or ""
        found: tuple[int, Doc] | None = None
        if sku:
            found = self.index.by_sku(sku)
        elif row.values.get("name"):
            matches = self._named(row.values["name"])
            if len(matches) > 1:
                why = (
                    f"{len(matches)} products are named {row.values['name']!r}; give this "
                    "row a SKU to say which one"
                )
                return None, [self.parsed.mapping.row_error(row.row, "name", why, "ambiguous_name")]
            if matches:
                found = (matches[0], self.index.docs[matches[0]])
        if found is not None:
            earlier = self._matched.setdefault(found[0], row.row)
            if earlier != row.row:
                # A SKU row and a name row (or two name rows) hit one product.
                why = f"this row and row {earlier} both match product {found[1].get('name')!r}"
                field = "sku" if sku else "name"
                return None, [
                    self.parsed.mapping.row_error(row.row, field, why, "duplicate_product")
                ]
        return found, []

    def _named(self, name: str) -> list[int]:
        if self._by_name is None:
            self._by_name = {}
            for doc_id, doc in self.index.live_docs():
                self._by_name.setdefault(fold(doc.get("name")), []).append(doc_id)
        return self._by_name.get(fold(name), [])
