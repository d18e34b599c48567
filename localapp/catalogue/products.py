"""The catalogue service: products over one open Store.

`Catalogue` lists and searches (through the search index, search.py, which a
store listener keeps current), reads, creates, changes and deletes products,
each checked field by field (fields.py) and against the rule between
products: a SKU is unique among live products, compared without regard to
case. Images are added and removed here; a price list is applied by
importing.py. Every read runs under `store.reading()` and every
read-modify-write under `store.transaction()`, which also serialises threads.
"""

from __future__ import annotations

import builtins
import contextlib
import logging
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from .. import errors
from ..checks import Invalid, invalid
from ..records import Doc, check_rev, gc_paused, new_id, now_iso, same, stamp_tombstone, write
from ..store import Store
from . import batch as batch_rules
from . import importing, imports
from .fields import (
    IMAGES,
    MAX_IMAGES,
    PRODUCTS,
    check_product,
    content_of,
    parse_list_params,
    public,
    stamp_change,
    stamp_new,
)
from .importing import ImportOptions
from .imports import ParsedProducts
from .scan import scan
from .search import DEFAULT_SORT, ProductIndex, SearchQuery

log = logging.getLogger(__name__)
#: above this many products waiting to be prepared, a search scans (preparing
#: 5,000 takes about 80 ms; 100,000 about 1.6 s)
SCAN_ABOVE = 5000
#: products prepared per hold of the store's lock while warming (about 80 ms)
WARM_SLICE = 5000
#: preparing a product costs about 3 times what scanning one does (16 and 5 µs):
#: once fewer than a third wait, a search prepares them rather than scanning all
PREPARE_VS_SCAN = 3


class Catalogue:
    """The catalogue over one open Store. Create one per Store and keep it."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.index = ProductIndex(PRODUCTS)
        store.add_listener(self.index.changed)
        self._warm_lock = threading.Lock()
        self._warmer: threading.Thread | None = None
        self._first = True  # no search answered yet (see `search`)

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
        """A page of products and the total. While many products wait to be
        prepared for the index (a start, a large import), the answer comes from
        a scan (scan.py) at once, and the preparing goes on in the background.
        The first search after a start, before the index has read the
        documents at all, scans the store's own instead of waiting for that
        first read (0.6 s at 100,000); later ones help the index along."""
        with self.store.reading():
            stored = self.store.storage.documents(PRODUCTS) if self._first else {}
            docs: Sequence[Doc]
            if self.index.unread and len(stored) > SCAN_ABOVE:
                total, docs = scan({int(k): d for k, d in stored.items()}, query)
                self.warm_later()
            else:
                total, docs = self._search(query)
            self._first = False
            items = [public(d, history=False) for d in docs]
        return {"items": items, "total": total, "page": query.page, "per_page": query.per_page}

    def _search(self, query: SearchQuery) -> tuple[int, Sequence[Doc]]:
        with self.reading() as index:
            if index.unprepared > SCAN_ABOVE:
                # Each such search helps the preparing along by a slice, so
                # searches coming one after another (they hold the store's lock
                # and the interpreter) cannot keep the index from ever being
                # ready: 300,000 products took about 60 searches otherwise.
                index.prepare_some(max(WARM_SLICE, len(index.docs) // 20))
            waiting = index.unprepared
            if waiting > SCAN_ABOVE and waiting * PREPARE_VS_SCAN > len(index.docs):
                self.warm_later()
                return scan(index.docs, query, index.entries)
            # preparing the rest costs less than a scan: the index answers
            return index.search(query)

    def warm(self) -> None:
        """Prepare the search index in slices, letting go of the store's lock
        between them, so searches (by scan) and writes go on meanwhile; then
        build the default order, so the next search is the index's."""
        while True:
            with self.reading() as index:
                if index.prepare_some(WARM_SLICE):
                    break
        self.search(SearchQuery())

    def warm_later(self) -> None:
        """`warm` in a background thread, unless one is at it already."""
        with self._warm_lock:
            if self._warmer is not None and self._warmer.is_alive():
                return
            self._warmer = threading.Thread(
                target=self._warm_quietly, name="catalogue-index", daemon=True
            )
            self._warmer.start()

    def _warm_quietly(self) -> None:
        try:
            self.warm()
        except Exception:  # the store closed under it (a short-lived app); searches scan
            log.debug("Preparing the product index stopped", exc_info=True)

    def get_many(self, ids: Iterable[str]) -> dict[str, Doc]:
        """{id: the live product, without its price history} of those `ids` that are
        live products (a quotation's lines, catalogue/quotes.py)."""
        with self.reading() as index:
            found = {rid: index.live(rid) for rid in ids}
        return {rid: public(doc, history=False) for rid, doc in found.items() if doc is not None}

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

    def write_products(self, inserts: builtins.list[Doc], replaces: Mapping[int, Doc]) -> None:
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
        check_rev("product", doc, if_match, public(doc))

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
            self.write_products([doc], {})
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
            self.write_products([], {doc_id: doc})
            return public(doc)

    def batch(self, body: Any, *, commit: bool, by: str = "") -> dict[str, Any]:
        """Change the chosen products alike (batch.py), in one transaction; with
        `commit` false, only show what would change. The answer's `undo`, sent
        back as `restore`, puts every value back in one transaction too."""
        request = batch_rules.parse(body)
        with self.writing() as index:
            plans: builtins.list[tuple[int, Doc, dict[str, Any]]] = []
            problems: dict[str, str] = {}
            for rid in request.ids:
                found = index.find(rid)
                if found is None or found[1].get("deleted"):
                    problems[rid] = "no such product"
                    continue
                try:
                    changes = batch_rules.new_values(found[1], request)
                except Invalid as exc:
                    problems[rid] = str(exc)
                    continue
                if changes:
                    plans.append((found[0], found[1], changes))
            if problems:
                raise errors.ValidationError(
                    f"{len(problems)} product(s) cannot take this change; nothing was changed.",
                    fields={"ids": "; ".join(list(problems.values())[:5])},
                    extra={"problems": problems},
                )
            if commit and plans:
                self._write_batch(plans, by)
        return {
            "count": len(request.ids),
            "changed": len(plans),
            "preview": [
                {
                    "id": d["id"],
                    "sku": d.get("sku", ""),
                    "name": d.get("name", ""),
                    "before": batch_rules.before(d, c),
                    "after": c,
                }
                for _i, d, c in plans[:200]
            ],
            "undo": {str(d["id"]): batch_rules.before(d, c) for _i, d, c in plans},
            "committed": commit and bool(plans),
        }

    def _write_batch(self, plans: builtins.list[tuple[int, Doc, dict[str, Any]]], by: str) -> None:
        table = self.store.table(PRODUCTS)
        now = now_iso()
        replaces: dict[int, Doc] = {}
        for doc_id, _slim, changes in plans:
            stored = table.get(doc_id=doc_id)
            base = dict(stored) if isinstance(stored, Mapping) else dict(_slim)
            content, bad = check_product(changes, base=base)
            if bad:
                raise invalid(bad, f"Product {base.get('name')!r} cannot take this change")
            replaces[doc_id] = stamp_change(base, content, now, "batch", by)
        self.write_products([], replaces)

    def delete(self, rid: str, *, if_match: int | None = None) -> dict[str, Any]:
        with self.writing() as index:
            doc_id, old = self._stored(index, rid)
            self.check_rev(old, if_match)
            self.write_products([], {doc_id: stamp_tombstone(old, now_iso())})
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
            self.write_products([], {doc_id: doc})
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
            self.write_products([], {doc_id: doc})
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
        """Preview (commit=False) or commit a parsed spreadsheet; returns the report
        (importing.py). After a large import the index starts preparing at once,
        not at the first search."""
        report = importing.apply_import(self, parsed, options)
        if self.index.unprepared > SCAN_ABOVE:
            self.warm_later()
        return report


def _not_an_object() -> errors.ValidationError:
    return errors.ValidationError(
        "The body must be a JSON object",
        fields={"body": "must be a JSON object"},
        extra={"field_codes": {"body": "not_an_object"}},
    )


def _key_is(key: str) -> Any:
    from tinydb import where

    return where("key") == key
