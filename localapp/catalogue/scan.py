"""Searching products by looking at each one, while the index prepares its entries.

The index (search.py) prepares every product once (its texts, pinyin and sort
keys: about 16 us each, 1.6 s at 100,000) and then answers in milliseconds.
Until that is done (a start, a large import), a search is answered here at
once instead of waiting for it: each live product is matched on the same
texts the index would build, but only as far as the query needs (the pinyin
of a name only for a query that could be pinyin), and only the hits get sort
keys, the page's worth picked with a heap. The answers are the index's: the
same matches, the same order (names by their pinyin), the same totals.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from typing import Any

from .pinyin import pinyin_forms, pinyin_query
from .search import _OTHER_SEARCHED, SEP, Entry, SearchQuery, bare_sku, fold

_SEARCHED = ("name", *_OTHER_SEARCHED)


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _texts(doc: Mapping[str, Any], pinyin: bool) -> str:
    name = _str(doc.get("name"))
    parts = [name] + [_str(doc.get(f)) for f in _OTHER_SEARCHED]
    text = SEP.join(parts).casefold()
    sku = _str(doc.get("sku"))
    bare = bare_sku(sku)
    if bare:
        text = f"{text}{SEP}{bare}"
    if pinyin:
        full, initials = pinyin_forms(name)
        if full:
            text = f"{text}{SEP}{full}{SEP}{initials}"
    return text


def _key(doc: Mapping[str, Any], sort: str, doc_id: int) -> tuple[Any, ...]:
    if sort == "price":
        price = doc.get("price")
        return (price if isinstance(price, int) else 0, _name_key(doc), doc_id)
    if sort == "updated_at":
        return (str(doc.get("updated_at") or ""), doc_id)
    return (_name_key(doc), doc_id)


def _name_key(doc: Mapping[str, Any]) -> str:
    name = _str(doc.get("name"))
    folded = name.casefold()
    full, _initials = pinyin_forms(name)
    return f"{full or folded}{SEP}{folded}"


def _passes(doc: Mapping[str, Any], query: SearchQuery) -> bool:
    if query.category is not None and fold(doc.get("category")) != fold(query.category):
        return False
    if query.supplier is not None and fold(doc.get("supplier")) != fold(query.supplier):
        return False
    price = doc.get("price")
    if query.min_price is not None and not (isinstance(price, int) and price >= query.min_price):
        return False
    return query.max_price is None or (isinstance(price, int) and price <= query.max_price)


def _has(doc: Mapping[str, Any], word: str) -> bool:
    """`word in _texts(doc, False)`, field by field: most documents a query
    finds have it in their name, so their other fields are never looked at,
    and no text is joined (a third of the time of a scan at 100,000)."""
    get = doc.get
    for field in _SEARCHED:
        value = get(field)
        if value.__class__ is str and word in value.casefold():
            return True
    if word.isascii():  # a SKU is also found without its punctuation
        sku = get("sku")
        if sku.__class__ is str:
            return word in bare_sku(sku)
    return False


def _matches(doc: Mapping[str, Any], words: list[str], pinyin: bool, entry: Entry | None) -> bool:
    """Every word is in one of the searched texts (扳手 五金: a 扳手 in 五金); from
    the index's entry when it is prepared already."""
    if not words:
        return True
    if entry is not None:
        return all(w in (entry.ascii_text if w.isascii() else entry.full_text) for w in words)
    if not pinyin:
        return all(_has(doc, w) for w in words)
    text = _texts(doc, pinyin)
    return all(w in text for w in words)


def scan(
    docs: Mapping[int, Mapping[str, Any]],
    query: SearchQuery,
    entries: Mapping[int, Entry] | None = None,
) -> tuple[int, list[Any]]:
    """(total, the page of documents) for `query` over `docs` (doc id -> stored
    document, tombstones too), as ProductIndex.search would answer; the index's
    `entries` prepared so far are used as they are (a scan gets quicker as the
    preparing goes on)."""
    entries = entries or {}
    words = query.q.casefold().split() if query.q else []
    if any(not w.isprintable() for w in words):
        return 0, []
    pinyin = any(pinyin_query(w) is not None for w in words)
    filters = (query.category, query.supplier, query.min_price, query.max_price)
    filtered = any(f is not None for f in filters)
    hits = [
        (doc_id, doc)
        for doc_id, doc in docs.items()
        if not doc.get("deleted")
        and (not filtered or _passes(doc, query))
        and _matches(doc, words, pinyin, entries.get(doc_id))
    ]
    sort = query.sort.lstrip("-")
    first, last = (query.page - 1) * query.per_page, query.page * query.per_page
    pick = heapq.nlargest if query.sort.startswith("-") else heapq.nsmallest

    def key(hit: tuple[int, Mapping[str, Any]]) -> tuple[Any, ...]:
        entry = entries.get(hit[0])
        return entry.key(sort) if entry is not None else _key(hit[1], sort, hit[0])

    chosen = pick(last, hits, key=key)
    return len(hits), [doc for _doc_id, doc in chosen[first:last]]
