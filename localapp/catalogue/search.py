"""The product search index: prepared in memory, kept current by store listeners.

A query at 100,000 products must answer, with its total, in a few
milliseconds. Scanning TinyDB documents field by field costs 70-300 ms, so
every live product is prepared once into an `Entry`:

- `full_text`: the searched fields (name, SKU, spec, category, supplier: `search` in
  localapp/kinds.py), case-folded and joined by a separator that no query
  contains, so a match never spans two fields;
- `ascii_text`: the ASCII runs of those fields plus the full pinyin and the
  pinyin initials of the name (`luosidao`, `lsd` for 螺丝刀): what an ASCII
  query (pinyin, a SKU) can match, in one byte per character;
- the sort keys and filter values, ready to compare.

For each sort order that has been asked for, the index keeps the entries in
that order as parallel lists, and their texts joined into one string. A
selective text query is a few `str.find` calls over that string (positions
come out in order); a broad one is one C-level pass over all entries
(`bytes(map(operator.contains, texts, repeat(q)))`, a mask of one byte per
entry). Other conditions are masks too, combined as big integers; the total
is `mask.count(1)` and the page comes from `itertools.compress` + `islice`,
already in order, so hits are never sorted. Descending order walks the same
hits backwards. Category and supplier masks are cached until the order
changes.

The store calls `changed()` for every write, every rollback and every journal
record it applies from another process, with TinyDB document ids (or None,
meaning "everything"). Those are only noted; `sync(store)`, called under the
store's lock before each use, re-reads just the noted documents and patches
the built orders in place (or rebuilds them after large changes).
Pinyin forms of names come from pinyin.py.
"""

from __future__ import annotations

import bisect
import itertools
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from ..kinds import PRODUCT
from .pinyin import pinyin_forms, pinyin_query

SEP = "\x1f"  # joins searchable fields; queries never contain control characters

#: What a product list sorts by, filters by (equal, ignoring case) and
#: searches: the product's declaration (localapp/kinds.py) says which; this
#: index says how, in `Entry.key`, `_Order.equal_mask` and `prepare`.
SORTS: tuple[str, ...] = PRODUCT.names("sort")
FILTERS: tuple[str, ...] = PRODUCT.names("filter")
SEARCHED: tuple[str, ...] = PRODUCT.names("search")
DEFAULT_SORT = "name"
_KNOWN = {"sort": {"name", "price", "updated_at"}, "filter": {"category", "supplier"}}
for _flag, _names in (("sort", SORTS), ("filter", FILTERS)):
    if set(_names) - _KNOWN[_flag]:  # a declaration this index cannot serve: fail at start
        raise RuntimeError(f"the product index cannot {_flag} by {set(_names) - _KNOWN[_flag]}")
_OTHER_SEARCHED = tuple(n for n in SEARCHED if n != "name")  # the name is always searched

#: Above this many changed documents a sync rebuilds the orders instead of
#: patching them one entry at a time (a patch moves list tails: O(n) each).
PATCH_LIMIT = 300

#: operator.le/ge over prices that may be None (None never matches a range);
#: typed loosely, as map() over them is the hot path of a price filter
_le: Callable[[Any, Any], Any] = operator.le
_ge: Callable[[Any, Any], Any] = operator.ge


# -- the index -----------------------------------------------------------------


class _Documents(Protocol):
    def documents(self, table: str) -> Mapping[str, Any]: ...


class _Store(Protocol):
    @property
    def storage(self) -> _Documents: ...


@dataclass(slots=True)
class Entry:
    """One live product, prepared for search, filters and sorting."""

    doc_id: int
    doc: dict[str, Any]
    ascii_text: str  # every ASCII run of the fields, plus the name's pinyin
    full_text: str  # the fields as they are
    name_key: str
    price: int
    updated: str
    category: str
    supplier: str

    def key(self, sort: str) -> tuple[Any, ...]:
        if sort == "price":
            return (self.price, self.name_key, self.doc_id)
        if sort == "updated_at":
            return (self.updated, self.doc_id)
        return (self.name_key, self.doc_id)


def fold(value: Any) -> str:
    """Text as compared: case-folded, surrounding whitespace dropped."""
    return value.strip().casefold() if isinstance(value, str) else ""


_ASCII_RUNS = re.compile(r"[\x00-\x7f]+")
_PUNCTUATION = re.compile(r"[\W_]+")


def bare_sku(sku: str) -> str:
    """A SKU without its punctuation, folded, as a search also finds it
    (sd001 finds SD-001); "" when that is the SKU itself or not ASCII."""
    bare = _PUNCTUATION.sub("", sku).casefold()
    return bare if bare != sku.casefold() and bare.isascii() else ""


def prepare(doc_id: int, doc: dict[str, Any]) -> Entry:
    get = doc.get
    name = get("name")
    if name.__class__ is not str:
        name = ""
    full, initials = pinyin_forms(name)
    texts = [name]
    for field in _OTHER_SEARCHED:
        value = get(field)
        texts.append(value if value.__class__ is str else "")
    full_text = SEP.join(texts).casefold()
    sku, supplier = get("sku"), get("supplier")
    sku = sku if sku.__class__ is str else ""
    # An ASCII query can only match inside ASCII runs; keeping them apart as
    # a one-byte-per-character string makes those searches much cheaper.
    ascii_text = full_text if full_text.isascii() else SEP.join(_ASCII_RUNS.findall(full_text))
    # A SKU is also found without its punctuation: sd001 finds SD-001.
    bare = bare_sku(sku)
    if bare:
        ascii_text = f"{ascii_text}{SEP}{bare}"
    price = get("price")
    folded = name.casefold()
    return Entry(
        doc_id,
        doc,
        f"{ascii_text}{SEP}{full}{SEP}{initials}" if full else ascii_text,
        full_text,
        # Chinese names sort by their pinyin, as people expect in a list.
        f"{full or folded}{SEP}{folded}",
        price if price.__class__ is int else 0,
        str(get("updated_at") or ""),
        fold(get("category")),
        fold(supplier),
    )


class _Text:
    """One text column of an order: all entries joined in one string, and one by one.

    Both are built in order, so they sit together in memory: scanning a
    list of strings scattered over the heap (the entries' own, in another
    order) costs twice as long at 100,000 products.
    """

    __slots__ = ("blob", "starts", "_items")

    def __init__(self, texts: list[str]) -> None:
        self.blob = "\n".join(texts)
        self.starts = [0, *itertools.accumulate(len(t) + 1 for t in texts)]
        self._items: list[str] | None = None

    def find_all(self, q: str) -> list[int]:
        """Positions of the entries containing `q`, ascending (one C search per hit)."""
        hits: list[int] = []
        blob, starts, where = self.blob, self.starts, bisect.bisect_right
        pos = blob.find(q)
        while pos != -1:
            i = where(starts, pos) - 1
            hits.append(i)
            pos = blob.find(q, starts[i + 1])
        return hits

    def estimate(self, q: str) -> int:
        """About how often `q` occurs: counted in an eighth of the text, eight
        slices spread over it (the entries are in sort order, and alike ones
        sit together); 0.6 ms at 100,000 products, against 4.5 for all of it."""
        blob = self.blob
        step = len(blob) // 8
        if step < 4096:
            return blob.count(q)  # small: counted all through
        return 8 * sum(blob.count(q, i, i + step // 8) for i in range(0, 8 * step, step))

    def many(self, q: str) -> bool:
        """Whether `q` occurs more than FIND_LIMIT times (counted all through
        only when the estimate does not already say so)."""
        return self.estimate(q) > FIND_LIMIT * 2 or self.blob.count(q) > FIND_LIMIT

    def items(self) -> list[str]:
        if self._items is None:
            # Sliced from the joined string: new strings, allocated in order.
            blob = self.blob
            self._items = [blob[a : b - 1] for a, b in itertools.pairwise(self.starts)]
        return self._items

    def mask(self, q: str) -> bytes:
        return bytes(map(operator.contains, self.items(), itertools.repeat(q)))


#: Above this many occurrences a text match is computed as a mask over all
#: entries (about 5 ms) rather than hit by hit (about 1 us per hit).
FIND_LIMIT = 5000


class _Order:
    """The live entries in one sort order, as parallel lists, plus cached filter masks.

    A mask is `bytes` with one byte (0 or 1) per entry in this order: masks
    combine as big integers (`&`), `bytes.count(1)` is the total, and
    `itertools.compress` finds the page. A selective text query is answered
    as a list of positions instead, found with `str.find` in the joined text.
    """

    __slots__ = ("sort", "keys", "entries", "price", "category", "supplier", "masks", "_texts")

    def __init__(self, sort: str, entries: Iterable[Entry]) -> None:
        self.sort = sort
        ordered = sorted(entries, key=lambda e: e.key(sort))
        self.keys = [e.key(sort) for e in ordered]
        self.entries = ordered
        self.price = [e.price for e in ordered]
        self.category = [e.category for e in ordered]
        self.supplier = [e.supplier for e in ordered]
        self.masks: dict[tuple[str, str], bytes] = {}
        self._texts: dict[str, _Text] = {}

    def _lists(self) -> tuple[list[Any], ...]:
        return (self.keys, self.entries, self.price, self.category, self.supplier)

    def _changed(self) -> None:
        self.masks.clear()
        self._texts.clear()  # rebuilt by the next text query (tens of ms at 100,000)

    def remove(self, entry: Entry) -> None:
        key = entry.key(self.sort)
        i = bisect.bisect_left(self.keys, key)
        if i < len(self.keys) and self.keys[i] == key:
            for lst in self._lists():
                del lst[i]
            self._changed()

    def add(self, entry: Entry) -> None:
        key = entry.key(self.sort)
        i = bisect.bisect_left(self.keys, key)
        values = (key, entry, entry.price, entry.category, entry.supplier)
        for lst, value in zip(self._lists(), values, strict=True):
            lst.insert(i, value)
        self._changed()

    def equal_mask(self, name: str, value: str) -> bytes:
        """Entries whose category (or supplier) is `value`; cached until the order changes."""
        mask = self.masks.get((name, value))
        if mask is None:
            if len(self.masks) > 64:
                self.masks.clear()
            column = getattr(self, name)  # a FILTERS field: one of the parallel lists
            mask = self.masks[(name, value)] = bytes(
                map(operator.eq, column, itertools.repeat(value))
            )
        return mask

    def price_mask(self, low: int | None, high: int | None) -> bytes:
        n = len(self.entries)
        if self.sort == "price":
            # Sorted by price: the range is one run of entries.
            first = 0 if low is None else bisect.bisect_left(self.price, low)
            stop = n if high is None else bisect.bisect_right(self.price, high)
            stop = max(first, stop)
            return bytes(first) + b"\x01" * (stop - first) + bytes(n - stop)
        if low is not None and high is not None:
            return bytes(
                map(
                    operator.and_,
                    map(_le, itertools.repeat(low), self.price),
                    map(_ge, itertools.repeat(high), self.price),
                )
            )
        if low is not None:
            return bytes(map(_le, itertools.repeat(low), self.price))
        return bytes(map(_ge, itertools.repeat(high), self.price))

    def _text(self, kind: str) -> _Text:
        text = self._texts.get(kind)
        if text is None:
            attr = "ascii_text" if kind == "ascii" else "full_text"
            text = self._texts[kind] = _Text([getattr(e, attr) for e in self.entries])
        return text

    def _needles(self, q: str) -> list[tuple[str, _Text]]:
        """What `q` is looked for as, each with the text it is looked for in."""
        needles = [q]
        compact = pinyin_query(q)
        if compact is not None and compact != q:
            needles.append(compact)  # "luo si dao": pinyin is indexed without spaces
        return [(n, self._text("ascii" if n.isascii() else "full")) for n in needles]

    def estimate(self, q: str) -> int:
        """About how many entries match `q` (`_Text.estimate`)."""
        return sum(text.estimate(needle) for needle, text in self._needles(q))

    def text_within(self, q: str, candidates: list[int]) -> list[int]:
        """Those of `candidates` (positions) that match `q`, as `text_hits` finds
        them: a second word checked on the first one's hits alone."""
        tests = [(needle, text.items()) for needle, text in self._needles(q)]
        if len(tests) == 1:
            ((needle, items),) = tests
            return [i for i in candidates if needle in items[i]]
        return [i for i in candidates if any(needle in items[i] for needle, items in tests)]

    def text_hits(self, q: str) -> list[int] | bytes:
        """Entries matching `q`: ascending positions, or a mask when there are many."""
        found: list[list[int] | bytes] = []
        for needle, text in self._needles(q):
            if text.many(needle):
                found.append(text.mask(needle))
            else:
                found.append(text.find_all(needle))
        if len(found) == 1:
            return found[0]
        if all(isinstance(f, list) for f in found):
            return sorted(set().union(*found))
        n = len(self.entries)
        return _combine(
            [f if isinstance(f, bytes) else _positions_mask(f, n) for f in found], n, operator.or_
        )


def _positions_mask(positions: list[int], n: int) -> bytes:
    mask = bytearray(n)
    for i in positions:
        mask[i] = 1
    return bytes(mask)


def _combine(masks: list[bytes], n: int, op: Callable[[int, int], int] = operator.and_) -> bytes:
    value = int.from_bytes(masks[0], "little")
    for mask in masks[1:]:
        value = op(value, int.from_bytes(mask, "little"))
    return value.to_bytes(n, "little")


@dataclass
class SearchQuery:
    """What to look for. Prices are integer cents; text is matched case-folded."""

    q: str = ""
    category: str | None = None
    supplier: str | None = None
    min_price: int | None = None
    max_price: int | None = None
    sort: str = DEFAULT_SORT  # one of SORTS, optionally prefixed with "-"
    page: int = 1
    per_page: int = 50


class ProductIndex:
    """Every product of one table, indexed. Use it only under the store's lock.

    Lookups (by record id, by SKU) are kept current at once; the search
    entries of a large batch of changes (an import) are prepared on the
    first search after it, so a commit does not wait for them.
    """

    def __init__(self, table: str = "products") -> None:
        self.table = table
        self._pending: set[int] | None = None  # None: reload everything
        self.docs: dict[int, dict[str, Any]] = {}  # every stored document, tombstones too
        self.ids: dict[str, int] = {}  # record id -> doc id
        self.skus: dict[str, int] = {}  # folded SKU -> doc id, live products only
        # Live products beyond the first with one SKU: the catalogue refuses
        # them, but sync can bring two devices' offline additions together
        # (see problems.py). Kept so that when one of them goes, the SKU
        # still finds the other.
        self._more_skus: dict[str, set[int]] = {}
        self.entries: dict[int, Entry] = {}  # live products that are prepared
        self._unprepared: set[int] = set()  # live products not prepared yet
        self._orders: dict[str, _Order] = {}
        self.version = 0  # bumped on every applied change (for caches built on top)

    # -- keeping current ---------------------------------------------------------

    def changed(self, table: str | None, keys: set[str] | None) -> None:
        """The store's listener: note what changed; `sync` does the work."""
        if table is None or keys is None:
            if table is None or table == self.table:
                self._pending = None
            return
        if table != self.table or self._pending is None:
            return
        self._pending.update(int(k) for k in keys)

    @property
    def unread(self) -> bool:
        """Whether the next `sync` reads every document again (the first, or
        after the store was replaced whole)."""
        return self._pending is None

    def sync(self, store: _Store) -> None:
        """Apply the noted changes. Call with the store's lock held."""
        pending = self._pending
        if pending is not None and not pending:
            return
        self._pending = set()
        # Read as stored, not through TinyDB (which deep-copies every document):
        # `_slim` copies what the index keeps.
        stored = store.storage.documents(self.table)
        if pending is None:
            self.docs, self.ids, self.skus, self._more_skus = {}, {}, {}, {}
            self.entries, self._unprepared = {}, set()
            self._orders.clear()
            self.version += 1
            for key, doc in stored.items():
                self._put(int(key), _slim(doc), patch=False)
            return
        self._apply({doc_id: stored.get(str(doc_id)) for doc_id in pending})

    def absorb(self, written: Mapping[int, dict[str, Any]]) -> None:
        """Take documents this process just wrote, so `sync` need not read them back.

        Call inside the transaction that wrote them, right after the write:
        if the transaction then rolls back, the store's listener marks the
        same documents changed again and `sync` re-reads the truth.
        """
        if self._pending is None:
            return  # a full reload is due anyway
        self._apply(written)
        self._pending.difference_update(written)

    def _apply(self, changes: Mapping[int, Any]) -> None:
        """Replace (or, for None, forget) documents by doc id."""
        self.version += 1
        patch = len(changes) <= PATCH_LIMIT
        if not patch:
            self._orders.clear()  # rebuilt on demand: cheaper than 100,000 patches
        for doc_id, doc in changes.items():
            self._drop(doc_id, patch=patch)
            if doc is not None:
                self._put(doc_id, _slim(doc), patch=patch)

    def _put(self, doc_id: int, doc: dict[str, Any], *, patch: bool) -> None:
        self.docs[doc_id] = doc
        rid = doc.get("id")
        if isinstance(rid, str):
            other = self.ids.get(rid)
            # Two documents with one id should not happen; prefer the live one.
            if other is None or self.docs[other].get("deleted"):
                self.ids[rid] = doc_id
        if doc.get("deleted"):
            return
        sku = fold(doc.get("sku"))
        if sku and self.skus.setdefault(sku, doc_id) != doc_id:
            self._more_skus.setdefault(sku, set()).add(doc_id)
        if not patch:
            self._unprepared.add(doc_id)
            return
        entry = self.entries[doc_id] = prepare(doc_id, doc)
        for order in self._orders.values():
            order.add(entry)

    def _drop(self, doc_id: int, *, patch: bool) -> None:
        old = self.docs.pop(doc_id, None)
        if old is None:
            return
        rid = old.get("id")
        if isinstance(rid, str) and self.ids.get(rid) == doc_id:
            del self.ids[rid]
        sku = fold(old.get("sku"))
        more = self._more_skus.get(sku) if sku else None
        if more is not None:
            more.discard(doc_id)
            if self.skus.get(sku) == doc_id:
                self.skus[sku] = min(more)
                more.discard(self.skus[sku])
            if not more:
                del self._more_skus[sku]
        elif sku and self.skus.get(sku) == doc_id:
            del self.skus[sku]
        self._unprepared.discard(doc_id)
        entry = self.entries.pop(doc_id, None)
        if entry is not None and patch:
            for order in self._orders.values():
                order.remove(entry)

    @property
    def unprepared(self) -> int:
        """How many live products wait to be prepared (a scan answers until then)."""
        return len(self._unprepared)

    def prepare_some(self, count: int) -> bool:
        """Prepare up to `count` waiting products (a slice of the work, so the
        store's lock is let go between slices); True when none waits."""
        docs, entries, waiting = self.docs, self.entries, self._unprepared
        if waiting:
            self._orders.clear()  # rebuilt on demand once all are prepared
        for _ in range(min(count, len(waiting))):
            doc_id = waiting.pop()
            entries[doc_id] = prepare(doc_id, docs[doc_id])
        return not waiting

    def _prepared(self) -> dict[int, Entry]:
        if self._unprepared:
            docs, entries = self.docs, self.entries
            for doc_id in self._unprepared:
                entries[doc_id] = prepare(doc_id, docs[doc_id])
            self._unprepared.clear()
            self._orders.clear()
        return self.entries

    # -- lookups -------------------------------------------------------------------

    def find(self, rid: str) -> tuple[int, dict[str, Any]] | None:
        """The document with this record id (without price history), tombstone or not."""
        doc_id = self.ids.get(rid)
        return None if doc_id is None else (doc_id, self.docs[doc_id])

    def live(self, rid: str) -> dict[str, Any] | None:
        found = self.find(rid)
        if found is None or found[1].get("deleted"):
            return None
        return found[1]

    def by_sku(self, sku: str) -> tuple[int, dict[str, Any]] | None:
        """The live product with this SKU, compared without regard to case."""
        doc_id = self.skus.get(fold(sku))
        return None if doc_id is None else (doc_id, self.docs[doc_id])

    def shared_skus(self) -> dict[str, list[int]]:
        """Folded SKU -> doc ids (first found first) of every SKU that more than one
        live product has. Costs nothing when there are none."""
        return {sku: [self.skus[sku], *sorted(more)] for sku, more in self._more_skus.items()}

    def live_docs(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """(doc id, document) of every live product."""
        return ((i, d) for i, d in self.docs.items() if not d.get("deleted"))

    def live_entries(self) -> Iterator[Entry]:
        return iter(self._prepared().values())

    def __len__(self) -> int:
        return len(self.entries) + len(self._unprepared)

    # -- search --------------------------------------------------------------------

    def _order(self, sort: str) -> _Order:
        entries = self._prepared()
        order = self._orders.get(sort)
        if order is None:
            order = self._orders[sort] = _Order(sort, entries.values())
        return order

    def search(self, query: SearchQuery) -> tuple[int, list[dict[str, Any]]]:
        """(total, the page of documents) for a query. Call after `sync`."""
        sort = query.sort.lstrip("-")
        if sort not in SORTS:
            raise ValueError(f"unknown sort {query.sort!r}")
        order = self._order(sort)
        n = len(order.entries)
        desc = query.sort.startswith("-")
        first = (query.page - 1) * query.per_page
        last = first + query.per_page
        masks: list[bytes] = []
        hits: list[int] | None = None
        q = query.q.casefold().strip() if query.q else ""
        if q:
            if not q.isprintable():
                return 0, []  # control characters are never stored in searchable fields
            # Several words: each must match, in any field (扳手 五金). The
            # rarest first; once the matches are a quarter of all or fewer,
            # the next words are checked on those alone.
            words = set(q.split())
            for word in sorted(words, key=order.estimate) if len(words) > 1 else words:
                if hits is None and masks and masks[-1].count(1) <= n // 4:
                    hits = list(itertools.compress(range(n), masks.pop()))
                if hits is not None:
                    hits = order.text_within(word, hits)
                    continue
                found = order.text_hits(word)
                if isinstance(found, bytes):
                    masks.append(found)
                else:
                    hits = found
        for name in FILTERS:
            value = getattr(query, name)
            if value is not None:
                masks.append(order.equal_mask(name, fold(value)))
        if query.min_price is not None or query.max_price is not None:
            masks.append(order.price_mask(query.min_price, query.max_price))
        entries = order.entries
        if hits is not None:
            # Few text hits: check the other conditions on those alone.
            for mask in masks:
                hits = [i for i in hits if mask[i]]
            total = len(hits)
            chosen = hits[::-1][first:last] if desc else hits[first:last]
            return total, [entries[i].doc for i in chosen]
        if not masks:
            if desc:
                # Slice from the end without reversing the whole list.
                stop, start = max(n - first, 0), max(0, n - last)
                return n, [e.doc for e in reversed(entries[start:stop])]
            return n, [e.doc for e in entries[first:last]]
        mask = masks[0] if len(masks) == 1 else _combine(masks, n)
        total = mask.count(1)
        if desc:
            positions = itertools.compress(range(n - 1, -1, -1), reversed(mask))
        else:
            positions = itertools.compress(range(n), mask)
        return total, [entries[i].doc for i in itertools.islice(positions, first, last)]

    def facets(self) -> dict[str, list[dict[str, Any]]]:
        """Categories and suppliers with their product counts, most used first."""
        out: dict[str, list[dict[str, Any]]] = {}
        for name in ("category", "supplier"):
            counts: dict[str, int] = {}
            shown: dict[str, str] = {}
            for entry in self._prepared().values():
                key = getattr(entry, name)
                if key:
                    counts[key] = counts.get(key, 0) + 1
                    shown.setdefault(key, str(entry.doc.get(name)).strip())
            out[name] = [
                {"name": shown[k], "count": c}
                for k, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            ]
        return out


def _slim(doc: Any) -> dict[str, Any]:
    """What the index keeps of a stored document: all but a long price history.

    The history grows without bound and lists never show it; a single
    product's GET reads it from the store. A one-entry history (every
    freshly imported product) is kept, shared with the store's document.
    """
    history = doc.get("price_history")
    if history is None or (isinstance(history, list) and len(history) <= 1):
        return dict(doc)  # a shallow copy: the store changes its own in place
    return {k: v for k, v in doc.items() if k != "price_history"}
