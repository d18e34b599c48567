"""The records of one declared kind, kept with nothing but its declaration.

A kind declared in kinds.py with its fields' checks needs no service of its
own to be listed, read, created, changed and deleted: `RecordSet` does it
from the declaration (as Django's admin does from a model's `_meta`):

- validation: each field's check, defaults for a new record, the stored
  value for a field an edit leaves out, unknown fields refused;
- lists: `q` matches every searched field (and, for Chinese names, their
  pinyin and initials when a `spell` function is given: 宁波 by `ningbo`,
  `nb`), several words must all match; filters on fields declared with
  `filter`; `sort` on fields declared with `sort` (`-name` for descending);
  pages of `per_page` (at most 1,000);
- writes: the record kernel's stamps, revisions and tombstones (records.py),
  `If-Match` against lost updates, in one store transaction.

A domain adds its own rules by subclassing (`rules`: checks between records
before a write). The kinds kept this way are small (customers, quotes): a
list reads the table, with no index.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from . import errors
from .checks import Invalid, record_id
from .kinds import Kind
from .records import (
    BOOKKEEPING,
    Doc,
    check_rev,
    new_id,
    now_iso,
    public_copy,
    same,
    stamp_change,
    stamp_new,
    stamp_tombstone,
    write,
)
from .store import Store

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 1000
#: text -> the forms it is also found by (pinyin and initials), for `q`
Spell = Callable[[str], Iterable[str]]


def clean(
    kind: Kind, data: Mapping[str, Any], base: Mapping[str, Any] | None = None
) -> tuple[Doc, dict[str, str]]:
    """(content, {field: reason}) of a record of `kind` from what a client sent."""
    fields = kind.checked()
    content: Doc = {}
    problems: dict[str, str] = {}
    for name, fld in fields.items():
        assert fld.check is not None  # checked() holds checked fields only
        if name in data:
            try:
                content[name] = fld.check(data[name])
            except Invalid as exc:
                problems[name] = str(exc)
        elif base is not None and name in base:
            content[name] = base[name]
        elif fld.required:
            problems[name] = "is required"
        else:
            content[name] = fld.default()
    for name in data:
        if name not in fields and name != "id" and name not in BOOKKEEPING:
            if name in kind.fields:
                problems[name] = "is set by the server"
            else:
                problems[name] = "unknown field"
    if base is not None:  # fields the server keeps (computed ones) stay
        for name, value in base.items():
            if name in kind.fields and name not in fields:
                content.setdefault(name, value)
    return content, problems


class RecordSet:
    """List, read, create, change and delete the records of one kind."""

    def __init__(self, store: Store, kind: Kind, *, spell: Spell | None = None) -> None:
        self.store = store
        self.kind = kind
        self.spell = spell

    # -- reading ---------------------------------------------------------------

    def _live(self) -> builtins.list[Doc]:
        return [d for d in self.store.table(self.kind.table).all() if not d.get("deleted")]

    def _find(self, rid: str) -> tuple[int, Doc] | None:
        table = self.store.table(self.kind.table)
        for doc in table.search(lambda d: d.get("id") == rid):
            return doc.doc_id, dict(doc)
        return None

    def list(self, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """`{"items", "total", "page", "per_page"}`, searched, filtered and sorted."""
        params = params or {}
        page, per_page = self._page(params)
        with self.store.reading():
            hits = [d for d in self._live() if self._matches(d, params)]
        hits = self._sorted(hits, params.get("sort", ""))
        first = (page - 1) * per_page
        items = [public_copy(d) for d in hits[first : first + per_page]]
        return {"items": items, "total": len(hits), "page": page, "per_page": per_page}

    def _page(self, params: Mapping[str, str]) -> tuple[int, int]:
        problems: dict[str, str] = {}
        values = {"page": 1, "per_page": DEFAULT_PER_PAGE}
        for name, top in (("page", 10**9), ("per_page", MAX_PER_PAGE)):
            raw = params.get(name)
            if raw in (None, ""):
                continue
            if not str(raw).isdigit() or not 1 <= int(raw) <= top:
                problems[name] = f"a whole number from 1 to {top}"
            else:
                values[name] = int(raw)
        sort = params.get("sort", "").lstrip("-")
        if sort and sort not in self.kind.names("sort"):
            problems["sort"] = "one of " + ", ".join(self.kind.names("sort"))
        if problems:
            raise errors.ValidationError("The list parameters are not valid.", fields=problems)
        return values["page"], values["per_page"]

    def _matches(self, doc: Mapping[str, Any], params: Mapping[str, str]) -> bool:
        for name in self.kind.names("filter"):
            want = params.get(name)
            if want not in (None, "") and str(doc.get(name) or "").casefold() != want.casefold():
                return False
        q = params.get("q", "").casefold().split()
        if not q:
            return True
        texts = [str(doc.get(n) or "") for n in self.kind.names("search")]
        if self.spell is not None:
            texts += [form for t in texts for form in self.spell(t)]
        hay = "\x1f".join(texts).casefold()
        return all(word in hay for word in q)

    def _sorted(self, docs: builtins.list[Doc], sort: str) -> builtins.list[Doc]:
        key = sort.lstrip("-") or (self.kind.names("sort") or ("created_at",))[0]
        return sorted(
            docs,
            key=lambda d: (str(d.get(key) or ""), str(d.get("id"))),
            reverse=sort.startswith("-"),
        )

    def get(self, rid: str) -> Doc:
        with self.store.reading():
            found = self._find(rid)
        if found is None or found[1].get("deleted"):
            raise self.not_found(rid)
        return public_copy(found[1])

    def not_found(self, rid: str) -> errors.NotFound:
        return errors.NotFound(f"There is no {self.kind.noun} with id {rid!r}.")

    # -- writing ---------------------------------------------------------------

    def rules(self, rid: str, content: Doc, old: Mapping[str, Any] | None) -> dict[str, str]:
        """Checks between records for one about to be written; none by default.
        May complete `content` (computed fields). Runs inside the transaction."""
        return {}

    def _refuse(self, problems: dict[str, str]) -> errors.ValidationError:
        return errors.ValidationError(
            f"The {self.kind.noun} was not saved: "
            + "; ".join(f"{k}: {v}" for k, v in list(problems.items())[:5]),
            fields=problems,
        )

    def create(self, data: Mapping[str, Any]) -> Doc:
        if not isinstance(data, Mapping):
            raise errors.ValidationError(
                "The body must be a JSON object", fields={"body": "object"}
            )
        content, problems = clean(self.kind, data)
        rid = new_id()
        if data.get("id") not in (None, ""):
            try:
                rid = record_id(data["id"])
            except Invalid as exc:
                problems["id"] = str(exc)
        with self.store.transaction():
            if not problems and self._find(rid) is not None:
                raise errors.Conflict(
                    f"A {self.kind.noun} with id {rid!r} already exists", fields={"id": "taken"}
                )
            problems.update({} if problems else self.rules(rid, content, None))
            if problems:
                raise self._refuse(problems)
            doc = stamp_new(rid, content, now_iso())
            write(self.store, self.kind.table, [doc], {})
        return public_copy(doc)

    def update(self, rid: str, data: Mapping[str, Any], *, if_match: int | None = None) -> Doc:
        if not isinstance(data, Mapping):
            raise errors.ValidationError(
                "The body must be a JSON object", fields={"body": "object"}
            )
        with self.store.transaction():
            found = self._find(rid)
            if found is None or found[1].get("deleted"):
                raise self.not_found(rid)
            doc_id, old = found
            check_rev(self.kind.noun, old, if_match, public_copy(old))
            base = {k: v for k, v in old.items() if k != "id" and k not in BOOKKEEPING}
            content, problems = clean(self.kind, data, base)
            if data.get("id") not in (None, "", rid):
                problems["id"] = "cannot be changed"
            problems.update({} if problems else self.rules(rid, content, old))
            if problems:
                raise self._refuse(problems)
            if same(content, base):
                return public_copy(old)
            doc = stamp_change(old, content, now_iso())
            write(self.store, self.kind.table, [], {doc_id: doc})
        return public_copy(doc)

    def delete(self, rid: str, *, if_match: int | None = None) -> dict[str, Any]:
        with self.store.transaction():
            found = self._find(rid)
            if found is None or found[1].get("deleted"):
                raise self.not_found(rid)
            doc_id, old = found
            check_rev(self.kind.noun, old, if_match, public_copy(old))
            write(self.store, self.kind.table, [], {doc_id: stamp_tombstone(old, now_iso())})
        return {"ok": True, "deleted": [rid]}
