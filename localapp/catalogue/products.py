"""Catalogue domain: products, their exact prices and price history, and imports.

Plain Python over the Store (no bottle). This module holds:

- money: prices are integer cents (fen), parsed from text or spreadsheet
  numbers through Decimal and never through float arithmetic;
- the product record, its per-field rules (`clean_product`) and how the API
  shows it (`public`);
- the rules between products: a SKU is unique among live products, compared
  without regard to case; a price change appends to `price_history`, which
  is never rewritten;
- bookkeeping like the schedule's records: `created_at`/`updated_at` (ISO
  UTC), `rev` (+1 per change), tombstones (`deleted`, `deleted_at`) so sync
  can carry deletions; the API never shows tombstones;
- applying a parsed spreadsheet (see imports.py) as one all-or-nothing
  transaction: upsert by SKU, counts of created/updated/unchanged/errored.

Reads go through the search index (search.py), which a store listener keeps
current; every read runs under `store.reading()` and every read-modify-write
under `store.transaction()`, which also serialises threads.
"""

from __future__ import annotations

import builtins
import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .. import errors, kinds, records
from ..checks import Invalid, invalid
from ..money import MAX_CENTS, cents_text, parse_cents, parse_money
from ..records import Doc, gc_paused, new_id, new_ids, now_iso, same, stamp_tombstone, write
from ..store import Store
from . import imports
from .imports import ParsedProducts
from .search import DEFAULT_SORT, SORTS, ProductIndex, SearchQuery, fold

PRODUCTS = "products"
IMAGES = "images"

DEFAULT_CURRENCY = kinds.DEFAULT_CURRENCY
#: The largest price: below 2**53, so a browser's JavaScript numbers hold it exactly.
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500
#: How many row errors an import report lists (the counts are always complete).
MAX_REPORTED_ERRORS = 1000
PREVIEW_ROWS = 100
MAX_IMAGES = 50

#: Fields the server owns; ignored when a client sends them back.
BOOKKEEPING: frozenset[str] = records.BOOKKEEPING | {"price_history", "price_decimal"}

#: The fields a product has besides price and bookkeeping, in display order.
TEXT_FIELDS: tuple[str, ...] = ("sku", "name", "category", "spec", "unit", "supplier", "notes")
FIELDS: tuple[str, ...] = (
    "sku",
    "name",
    "category",
    "spec",
    "unit",
    "price",
    "currency",
    "supplier",
    "tags",
    "images",
    "notes",
)

# -- problems ------------------------------------------------------------------


# -- money -----------------------------------------------------------------------

# -- fields ------------------------------------------------------------------------


#: The product's fields a client may send, with their checks (kinds.py); the
#: price and the images are checked below, by the catalogue itself.
CHECKS: dict[str, Callable[[Any], Any]] = kinds.PRODUCT.checks()
DEFAULTS: dict[str, Callable[[], Any]] = {
    name: f.default
    for name, f in kinds.PRODUCT.fields.items()
    if name in CHECKS or name == "images"
}
_NEW_DEFAULTS: dict[str, Any] = {k: v() for k, v in DEFAULTS.items() if k not in ("tags", "images")}


def _price_from(data: Mapping[str, Any], base: Mapping[str, Any] | None = None) -> int | None:
    """The price a request gives, as cents: `price` (cents) or `price_decimal` (text).

    A client may send a whole record back with only one of the two edited;
    the one still equal to the stored price is then ignored.
    """
    cents = from_text = None
    if data.get("price") is not None:
        cents = parse_cents(data["price"])
    if data.get("price_decimal") not in (None, ""):
        from_text = parse_money(data["price_decimal"])
    if cents is None or from_text is None or cents == from_text:
        return cents if cents is not None else from_text
    stored = base.get("price") if base is not None else None
    if from_text == stored:
        return cents
    if cents == stored:
        return from_text
    raise Invalid(
        f"price ({cents} cents) and price_decimal ({data['price_decimal']}) "
        "disagree; send one of them",
        "conflicting",
    )


def clean_product(
    data: Mapping[str, Any], *, base: Mapping[str, Any] | None = None
) -> tuple[Doc, dict[str, str]]:
    """Check a product's fields; return (content, {field: reason}).

    The same as `check_product`, with the problems as English reasons only.
    """
    content, problems = check_product(data, base=base)
    return content, {name: problem.reason for name, problem in problems.items()}


def check_product(
    data: Mapping[str, Any], *, base: Mapping[str, Any] | None = None
) -> tuple[Doc, dict[str, Invalid]]:
    """Check a product's fields; return (content, {field: problem with its code}).

    `content` has every product field except the bookkeeping. With `base`
    (the stored record) fields missing from `data` keep their stored values.
    Unknown fields are refused, so a typo is not silently stored.
    """
    content: Doc = {}
    problems: dict[str, Invalid] = {}
    for name, check in CHECKS.items():
        if name in data:
            try:
                content[name] = check(data[name])
            except Invalid as exc:
                problems[name] = exc
        elif base is not None and name in base:
            content[name] = base[name]
        elif name == "name":
            problems[name] = Invalid("is required", "required")
        else:
            content[name] = DEFAULTS[name]()
    try:
        price = _price_from(data, base)
    except Invalid as exc:
        problems["price"] = exc
    else:
        if price is not None:
            content["price"] = price
        elif base is not None and "price" in base:
            content["price"] = base["price"]
        else:
            problems["price"] = Invalid("is required", "required")
    old_images = list(base.get("images") or []) if base is not None else []
    if "images" in data and data["images"] is not None:
        images = data["images"]
        if not isinstance(images, list) or not all(isinstance(k, str) for k in images):
            problems["images"] = Invalid("must be a list of image keys", "not_a_list")
        elif not set(images) <= set(old_images):
            problems["images"] = Invalid(
                "can only be reordered or shortened here; upload new images with "
                "POST /api/products/<id>/images",
                "image_not_uploaded",
            )
        else:
            content["images"] = list(dict.fromkeys(images))
    else:
        content["images"] = old_images
    for name in data:
        if name not in CHECKS and name not in BOOKKEEPING and name not in ("price", "images"):
            if base is not None and name in base:
                content[name] = data[name]  # a field an older version stored: kept
            else:
                problems[name] = Invalid("unknown field", "unknown_field")
    if base is not None:
        for name, value in base.items():
            if name not in content and name not in BOOKKEEPING and name not in data:
                content[name] = value
    return content, problems


def content_of(doc: Mapping[str, Any]) -> Doc:
    return {k: v for k, v in doc.items() if k not in BOOKKEEPING}


def public(doc: Mapping[str, Any], *, history: bool = True) -> Doc:
    """A product as the API shows it: a copy, with `price_decimal`, without tombstone fields."""
    out = records.public_copy(
        doc, records.HIDDEN if history else records.HIDDEN | {"price_history"}
    )
    price = doc.get("price")
    if isinstance(price, int):
        out["price_decimal"] = cents_text(price)
    return out


def _history_entry(price: int, at: str, source: str, by: str, file: str | None = None) -> Doc:
    entry: Doc = {"price": price, "at": at, "source": source, "by": by}
    if file:
        entry["file"] = file
    return entry


def stamp_new(
    rid: str, content: Doc, now: str, source: str, by: str, file: str | None = None
) -> Doc:
    return records.stamp_new(
        rid, content, now, price_history=[_history_entry(content["price"], now, source, by, file)]
    )


def stamp_change(
    old: Mapping[str, Any], content: Doc, now: str, source: str, by: str, file: str | None = None
) -> Doc:
    history = list(old.get("price_history") or [])
    if content.get("price") != old.get("price"):
        history.append(_history_entry(content["price"], now, source, by, file))
    return records.stamp_change(old, content, now, price_history=history)


# -- list parameters -----------------------------------------------------------------

LIST_PARAMS = frozenset(
    {"q", "category", "supplier", "min_price", "max_price", "sort", "page", "per_page"}
)


def parse_list_params(params: Mapping[str, str]) -> SearchQuery:
    """Query-string parameters as a SearchQuery, or per-parameter errors (400)."""
    query = SearchQuery()
    problems: dict[str, str] = {}
    for name, raw in params.items():
        if name.startswith("_"):
            continue  # cache busters such as jQuery's _=123
        if name not in LIST_PARAMS:
            problems[name] = "unknown parameter; use one of " + ", ".join(sorted(LIST_PARAMS))
            continue
        value = (raw or "").strip()
        if not value:
            continue  # an empty form field means "no filter"
        if name in {"page", "per_page"}:
            top = MAX_PER_PAGE if name == "per_page" else 10**7
            if not value.isdigit() or not 1 <= int(value) <= top:
                problems[name] = f"must be a whole number from 1 to {top}"
            else:
                setattr(query, name, int(value))
        elif name in {"min_price", "max_price"}:
            if not value.isdigit():
                problems[name] = "must be a whole number of cents (1250 for 12.50)"
            else:
                setattr(query, name, min(int(value), MAX_CENTS + 1))
        elif name == "sort":
            if value.lstrip("-") not in SORTS or value.startswith("--"):
                problems[name] = "sort by one of " + ", ".join(SORTS) + " (prefix - to reverse)"
            else:
                query.sort = value
        elif name == "q":
            if len(value) > 200:
                problems[name] = "must be at most 200 characters"
            query.q = value
        else:  # category, supplier
            setattr(query, name, value)
    if (
        query.min_price is not None
        and query.max_price is not None
        and query.max_price < query.min_price
    ):
        problems["max_price"] = f"must not be below min_price ({query.min_price})"
    if problems:
        raise invalid(problems, "Invalid list parameters")
    return query


# -- the service -----------------------------------------------------------------------


@dataclass
class ImportOptions:
    commit: bool = False
    skip_errors: bool = False
    by: str = ""
    file_name: str = ""


class Catalogue:
    """The catalogue over one open Store. Create one per Store and keep it."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.index = ProductIndex(PRODUCTS)
        store.add_listener(self.index.changed)

    @contextlib.contextmanager
    def reading(self) -> Iterator[ProductIndex]:
        with self.store.reading():
            self.index.sync(self.store)
            yield self.index

    @contextlib.contextmanager
    def writing(self) -> Iterator[ProductIndex]:
        with self.store.transaction():
            self.index.sync(self.store)
            yield self.index

    # -- read ----------------------------------------------------------------------

    def list(self, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """`{"items", "total", "page", "per_page"}`; items without price history."""
        query = parse_list_params(params or {})
        return self.search(query)

    def search(self, query: SearchQuery) -> dict[str, Any]:
        with self.reading() as index:
            total, docs = index.search(query)
            items = [public(d, history=False) for d in docs]
        return {"items": items, "total": total, "page": query.page, "per_page": query.per_page}

    def get(self, rid: str) -> Doc:
        with self.reading() as index:
            found = index.find(rid)
            if found is None or found[1].get("deleted"):
                raise self.not_found(rid)
            doc = self.store.table(PRODUCTS).get(doc_id=found[0])
            if not isinstance(doc, Mapping):
                raise self.not_found(rid)
            return public(doc)

    def facets(self) -> dict[str, Any]:
        with self.reading() as index:
            f = index.facets()
        return {"categories": f["category"], "suppliers": f["supplier"]}

    def all_live(self, query: SearchQuery | None = None) -> builtins.list[Doc]:
        """Every live product matching `query` (all when None), in its order."""
        query = query or SearchQuery(sort=DEFAULT_SORT)
        query.page, query.per_page = 1, 10**9
        with self.reading() as index:
            _total, docs = index.search(query)
            return docs

    def _write(self, inserts: builtins.list[Doc], replaces: Mapping[int, Doc]) -> None:
        """Write products inside the current transaction and update the index with them."""
        self.index.absorb(write(self.store, PRODUCTS, inserts, replaces))

    @staticmethod
    def not_found(rid: str) -> errors.NotFound:
        return errors.NotFound(f"There is no product with id {rid!r} (it may have been deleted).")

    # -- write ---------------------------------------------------------------------

    def _stored(self, index: ProductIndex, rid: str) -> tuple[int, Doc]:
        found = index.find(rid)
        if found is None or found[1].get("deleted"):
            raise self.not_found(rid)
        doc = self.store.table(PRODUCTS).get(doc_id=found[0])
        if doc is None:
            raise self.not_found(rid)
        return found[0], dict(doc)

    @staticmethod
    def check_rev(doc: Mapping[str, Any], if_match: int | None) -> None:
        if if_match is not None and int(doc.get("rev") or 0) != if_match:
            raise errors.Conflict(
                f"This product was changed by someone else (you have revision {if_match}, "
                f"the current one is {doc.get('rev')}). Reload it and try again.",
                fields={"rev": f"stale: current revision is {doc.get('rev')}"},
                extra={
                    "field_codes": {"rev": "stale_revision"},
                    "field_params": {"rev": {"rev": doc.get("rev")}},
                    "current": public(doc),
                },
            )

    def _check_sku(self, index: ProductIndex, sku: str, rid: str) -> None:
        if not sku:
            return
        found = index.by_sku(sku)
        if found is not None and found[1].get("id") != rid:
            other = self.store.table(PRODUCTS).get(doc_id=found[0])
            raise errors.Conflict(
                f"SKU {sku!r} is already used by {found[1].get('name')!r}. SKUs are unique "
                "(upper and lower case count as the same).",
                fields={"sku": f"already used by product {found[1].get('id')}"},
                extra={
                    "field_codes": {"sku": "duplicate_sku"},
                    "field_params": {
                        "sku": {
                            "sku": sku,
                            "name": found[1].get("name") or "",
                            "id": found[1].get("id"),
                        }
                    },
                    "current": public(other or found[1]),
                },
            )

    def create(self, data: Mapping[str, Any], *, by: str = "") -> Doc:
        if not isinstance(data, Mapping):
            raise _not_an_object()
        content, problems = check_product(data)
        if problems:
            raise invalid(problems, "The product was not saved")
        with self.writing() as index:
            self._check_sku(index, content["sku"], "")
            doc = stamp_new(new_id(), content, now_iso(), "create", by)
            self._write([doc], {})
            return public(doc)

    def update(
        self, rid: str, data: Mapping[str, Any], *, if_match: int | None = None, by: str = ""
    ) -> Doc:
        """Change some fields; `if_match` (the rev the client saw) guards against lost updates."""
        if not isinstance(data, Mapping):
            raise _not_an_object()
        with self.writing() as index:
            doc_id, old = self._stored(index, rid)
            self.check_rev(old, if_match)
            problems: dict[str, Invalid] = {}
            if data.get("id") not in (None, rid):
                problems["id"] = Invalid("cannot be changed", "read_only")
            content, bad = check_product(data, base=old)
            problems.update(bad)
            if problems:
                raise invalid(problems, "The product was not saved")
            self._check_sku(index, content["sku"], rid)
            if same(content, content_of(old)):
                return public(old)  # nothing changed: no new revision
            doc = stamp_change(old, content, now_iso(), "edit", by)
            self._write([], {doc_id: doc})
            return public(doc)

    def delete(self, rid: str, *, if_match: int | None = None) -> dict[str, Any]:
        with self.writing() as index:
            doc_id, old = self._stored(index, rid)
            self.check_rev(old, if_match)
            self._write([], {doc_id: stamp_tombstone(old, now_iso())})
        return {"ok": True, "id": rid}

    def add_image(
        self, rid: str, image: Mapping[str, Any], *, if_match: int | None = None, by: str = ""
    ) -> Doc:
        """Attach a stored image (see images.py) to a product; record its metadata."""
        with self.writing() as index:
            doc_id, old = self._stored(index, rid)
            self.check_rev(old, if_match)
            keys = list(old.get("images") or [])
            key = image["key"]
            self._remember_image(image)
            if key in keys:
                return public(old)
            if len(keys) >= MAX_IMAGES:
                raise errors.ValidationError(
                    f"A product can have at most {MAX_IMAGES} images; remove one first.",
                    fields={"file": "too many images"},
                    extra={
                        "field_codes": {"file": "too_many_images"},
                        "field_params": {"file": {"max": MAX_IMAGES}},
                    },
                )
            content = content_of(old)
            content["images"] = [*keys, key]
            doc = stamp_change(old, content, now_iso(), "edit", by)
            self._write([], {doc_id: doc})
            return public(doc)

    def remove_image(self, rid: str, key: str, *, if_match: int | None = None, by: str = "") -> Doc:
        with self.writing() as index:
            doc_id, old = self._stored(index, rid)
            self.check_rev(old, if_match)
            keys = list(old.get("images") or [])
            if key not in keys:
                raise errors.NotFound(f"Product {rid} has no image {key}.")
            content = content_of(old)
            content["images"] = [k for k in keys if k != key]
            doc = stamp_change(old, content, now_iso(), "edit", by)
            self._write([], {doc_id: doc})
            return public(doc)

    def _remember_image(self, image: Mapping[str, Any]) -> None:
        """Keep an image's metadata (display name, size) next to its content key."""
        table = self.store.table(IMAGES)
        meta = {
            k: image[k]
            for k in ("key", "name", "content_type", "width", "height", "size")
            if k in image
        }
        if not table.search(_key_is(image["key"])):
            table.insert({**meta, "created_at": now_iso()})

    def image_meta(self, key: str) -> Doc | None:
        with self.store.reading():
            found = self.store.table(IMAGES).search(_key_is(key))
            return dict(found[0]) if found else None

    # -- import --------------------------------------------------------------------

    def import_file(
        self,
        data: bytes,
        options: ImportOptions,
        mapping: Mapping[str, str | int | None] | None = None,
    ) -> dict[str, Any]:
        """Read, check and apply one uploaded spreadsheet: the whole import, in one call."""
        with gc_paused():
            parsed = imports.parse_products(imports.read_table(data), mapping)
            return self.apply_import(parsed, options)

    def apply_import(self, parsed: ParsedProducts, options: ImportOptions) -> dict[str, Any]:
        """Preview (commit=False) or commit a parsed spreadsheet; returns the report.

        A commit is one transaction: every created and updated product, or
        none. It is refused (ValidationError carrying the report) when any row
        has a problem, unless `skip_errors`. The plan is made again inside the
        transaction, so a preview made earlier can never be applied stale.
        """
        with gc_paused():
            if not options.commit:
                with self.reading() as index:
                    plan = _ImportPlan.make(self.store, index, parsed, options)
                return plan.report(parsed, options, committed=False)
            with self.writing() as index:
                plan = _ImportPlan.make(self.store, index, parsed, options)
                if plan.errored and not options.skip_errors:
                    report = plan.report(parsed, options, committed=False)
                    raise errors.ValidationError(
                        f"{plan.errored} row(s) have problems, so nothing was imported. Fix "
                        "them, or import only the good rows (skip_errors=1).",
                        fields={"file": f"{plan.errored} row(s) with problems"},
                        extra={"report": report},
                    )
                self._write(plan.inserts, plan.replaces)
            return plan.report(parsed, options, committed=True)


def _not_an_object() -> errors.ValidationError:
    return errors.ValidationError(
        "The body must be a JSON object",
        fields={"body": "must be a JSON object"},
        extra={"field_codes": {"body": "not_an_object"}},
    )


def _key_is(key: str) -> Any:
    from tinydb import where

    return where("key") == key


@dataclass
class _ImportPlan:
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
    ) -> _ImportPlan:
        now = now_iso()
        plan = cls([], {}, 0, 0, 0, 0, [], [])
        rows = parsed.rows
        errors_by_row: dict[int, list[Doc]] = {}
        for err in parsed.row_errors:
            errors_by_row.setdefault(err["row"], []).append(err)
        by_name: dict[str, list[int]] | None = None
        mapped = parsed.mapped
        fresh_ids = new_ids(len(rows))
        table = store.table(PRODUCTS)
        matched: dict[int, int] = {}  # doc id -> the row that matched it first
        for n, row in enumerate(rows):
            problems = errors_by_row.get(row.row)
            sku = row.values.get("sku") or ""
            found: tuple[int, Doc] | None = None
            if not problems:
                if sku:
                    found = index.by_sku(sku)
                elif row.values.get("name"):
                    if by_name is None:
                        by_name = {}
                        for doc_id, doc in index.live_docs():
                            by_name.setdefault(fold(doc.get("name")), []).append(doc_id)
                    matches = by_name.get(fold(row.values["name"]), [])
                    if len(matches) > 1:
                        problems = [
                            parsed.error(
                                row.row,
                                "name",
                                (
                                    f"{len(matches)} products are named {row.values['name']!r}; give "
                                    "this row a SKU to say which one"
                                ),
                                "ambiguous_name",
                            )
                        ]
                    elif matches:
                        found = (matches[0], index.docs[matches[0]])
                if found is not None:
                    earlier = matched.setdefault(found[0], row.row)
                    if earlier != row.row:
                        # A SKU row and a name row (or two name rows) hit one product.
                        problems = [
                            parsed.error(
                                row.row,
                                "sku" if sku else "name",
                                (
                                    f"this row and row {earlier} both match product "
                                    f"{found[1].get('name')!r}"
                                ),
                                "duplicate_product",
                            )
                        ]
            if not problems:
                if found is None:
                    # The row's values were checked field by field when the
                    # sheet was parsed; only a new product's name can be missing.
                    content = {
                        **_NEW_DEFAULTS,
                        "tags": [],
                        "images": [],
                        "name": "",
                        "price": None,
                        **row.values,
                    }
                    if not content["name"]:
                        problems = [
                            parsed.error(
                                row.row, "name", "name is required for a new product", "required"
                            )
                        ]
                    elif content["price"] is None:
                        problems = [
                            parsed.error(
                                row.row, "price", "price is required for a new product", "required"
                            )
                        ]
                    else:
                        doc = stamp_new(
                            fresh_ids[n], content, now, "import", options.by, options.file_name
                        )
                        plan.inserts.append(doc)
                        plan.created += 1
                        plan._preview(row.row, "created", doc, None)
                        continue
                else:
                    doc_id, slim = found
                    values = {k: v for k, v in row.values.items() if k in mapped}
                    values.pop("sku", None)  # matched on it; keep the stored spelling
                    if not values.get("name", "x"):
                        values.pop("name")  # an empty name cell keeps the stored name
                    # The index's copy lacks only the price history, which
                    # content_of ignores: enough to tell "unchanged" cheaply.
                    content = {**content_of(slim), **values}
                    if same(content, content_of(slim)):
                        plan.unchanged += 1
                        plan._preview(row.row, "unchanged", slim, slim.get("price"))
                        continue
                    else:
                        stored = table.get(doc_id=doc_id)
                        base = dict(stored) if stored is not None else dict(slim)
                        doc = stamp_change(
                            base, content, now, "import", options.by, options.file_name
                        )
                        plan.replaces[doc_id] = doc
                        plan.updated += 1
                        plan._preview(row.row, "updated", doc, base.get("price"))
                        continue
            plan.errored += 1
            for err in problems or []:
                plan.error_count += 1
                if len(plan.errors) < MAX_REPORTED_ERRORS:
                    plan.errors.append(err)
            if len(plan.preview) < PREVIEW_ROWS:
                plan.preview.append(
                    {
                        "row": row.row,
                        "action": "error",
                        "sku": sku,
                        "name": row.values.get("name", ""),
                        "price": row.values.get("price"),
                        "old_price": None,
                        "reasons": [e["reason"] for e in problems or []],
                    }
                )
        plan.errors.sort(key=lambda e: e["row"])
        return plan

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
