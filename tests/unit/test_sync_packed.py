"""A packed sync record (sync/packed.py) gives back exactly the record it was
packed from, whatever its document holds: values the document agrees with are
read from it, any other value is kept in the record. A record that a person
has edited and merged looks the same after packing as before."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from localapp.sync import merge, packed

STAMPS = [f"{1_700_000_000_000 + i:013d}-00000-r{r}" for i in range(4) for r in ("aaaa", "bbbb")]
NAMES = ["name", "price", "tags", "sku", "notes"]
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([1.0, 0.5]),
    st.text(max_size=4),
    st.lists(st.integers(0, 2), max_size=2),
    st.dictionaries(st.sampled_from(["a", "b"]), st.integers(0, 2), max_size=2),
)


@st.composite
def record_and_doc(draw: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, unique=True))
    fields = {n: {"v": draw(values), "s": draw(st.sampled_from(STAMPS))} for n in names}
    record = {"id": "x1", "table": "products", "fields": fields}
    if draw(st.booleans()):
        record["deleted"] = {"v": True, "s": STAMPS[-1], "seen": [STAMPS[0]]}
    if draw(st.booleans()):
        record["_acked"] = {names[0]: [STAMPS[0]]}
    record = merge.normalize(record)
    doc: dict[str, Any] = {}
    for n in draw(st.lists(st.sampled_from(NAMES), unique=True)):  # what the document holds
        doc[n] = fields[n]["v"] if n in fields and draw(st.booleans()) else draw(values)
    return record, doc


@settings(max_examples=300, deadline=None)
@given(record_and_doc())
def test_unpacking_gives_back_the_record_whatever_the_document_holds(
    case: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    record, doc = case
    form = packed.pack(record, doc)
    assert form is not None
    assert packed.unpack(form, "products", "x1", doc) == record
    assert packed.is_deleted(form) == merge.is_deleted(record)


def test_a_record_equal_to_its_document_keeps_only_stamps() -> None:
    doc = {"name": "十字螺丝刀", "price": 1250, "tags": ["五金"], "notes": "备注" * 50}
    record = merge.normalize(
        {
            "id": "p1",
            "table": "products",
            "fields": {n: {"v": v, "s": STAMPS[0]} for n, v in doc.items()}
            | {"price": {"v": 1250, "s": STAMPS[3]}},
        }
    )
    form = packed.pack(record, doc)
    assert form == {"s": STAMPS[0], "h": packed.digest(doc), "f": {"price": STAMPS[3]}}
    assert packed.digest(doc) != packed.digest({**doc, "price": 1251})
    # 1 and 1.0 and True are different values: the record keeps its own
    assert packed.pack(record, {**doc, "price": 1250.0})["v"] == {"price": 1250}  # type: ignore[index]


@settings(max_examples=300, deadline=None)
@given(record_and_doc())
def test_a_line_gives_back_its_record_and_a_plain_one_its_parts(
    case: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    record, _ = case
    line = packed.line_of(record)
    assert packed.record_of_line(line) == record
    parts = packed.plain_parts(line)
    plain = not (record["deleted"] or record["_acked"] or record["_conflicts"])
    assert (parts is not None) == plain
    if parts is not None:
        # the same parts whether the record came whole or as a line
        assert packed.plain_parts(record) == parts
        assert parts.newest() == max(c["s"] for c in record["fields"].values())
        # what `Shadow._put_new` stores for it, against a document made from
        # its values, is what `pack` makes of the record
        fields = dict(parts.values)
        form = {"s": parts.stamp, "h": packed.digest(fields)}
        if parts.others:
            form["f"] = parts.others
        assert form == packed.pack(record, fields)


def test_a_line_that_is_not_one_is_refused_with_a_reason() -> None:
    for bad in ([], ["products", "p1"], ["products", "p1", {"name": "x"}, "no stamps"]):
        try:
            packed.record_of_line(bad)
        except ValueError as e:
            assert "not a sync record line" in str(e)
        else:
            raise AssertionError(f"{bad!r} was taken for a line")
        assert packed.plain_parts(bad) is None
