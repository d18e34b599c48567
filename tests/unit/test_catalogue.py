"""Catalogue domain over a real store in a temp dir: money, products, history, SKUs."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from localapp import errors
from localapp.catalogue import Catalogue
from localapp.checks import Invalid
from localapp.money import cents_text, parse_cents, parse_money, round_cents
from localapp.records import new_ids
from localapp.store import Store


@pytest.fixture
def cat(tmp_path: Path) -> Catalogue:
    store = Store.open(tmp_path / "data")
    yield Catalogue(store)
    store.close()


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("12.5", 1250),
        ("12.50", 1250),
        ("0", 0),
        (".5", 50),
        ("¥1,299.00", 129900),
        ("￥ 3", 300),
        ("１２.５", 1250),
        ("12元", 1200),
        (12.5, 1250),
        (7, 700),
        (0.1 + 0.2, 30),
        (1234567.89, 123456789),
        (Decimal("2.10"), 210),
        ("12.500", 1250),
    ],
)
def test_money_is_parsed_exactly(text: object, cents: int) -> None:
    assert parse_money(text) == cents


@given(st.from_regex(r"\A[0-9]{1,13}(\.[0-9]{0,3})?\Z"))
def test_plain_amounts_read_without_decimal_agree_with_decimal(text: str) -> None:
    """A plain cell ("12.5") is read on a fast path; it must agree with Decimal."""
    cents = Decimal(text) * 100
    if cents != cents.to_integral_value():
        with pytest.raises(Invalid):
            parse_money(text)
    else:
        assert parse_money(text) == int(cents)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("-1", "negative"),
        ("-0.01", "negative"),
        ("abc", "not_a_number"),
        ("1.005", "too_many_decimals"),
        ("", "required"),
        ("1,2,3", "not_a_number"),
        (True, "not_a_number"),
        (float("nan"), "not_a_number"),
        ("1e3", "not_a_number"),
        ("99999999999999999", "too_large"),
        (None, "not_a_number"),
    ],
)
def test_bad_money_says_why(text: object, code: str) -> None:
    with pytest.raises(Invalid) as exc:
        parse_money(text)
    assert exc.value.code == code


def test_cents_helpers() -> None:
    assert cents_text(1250) == "12.50" and cents_text(5) == "0.05" and cents_text(0) == "0.00"
    assert parse_cents(1250) == 1250 and parse_cents(12.0) == 12
    for bad in (12.5, "1250", True, -1):
        with pytest.raises(Invalid):
            parse_cents(bad)
    assert round_cents(Decimal("2.5")) == 3 and round_cents(Decimal("2.4999")) == 2
    ids = new_ids(1000)
    assert len(set(ids)) == 1000
    assert all(len(i) == 32 and i[12] == "4" and i[16] in "89ab" for i in ids)


def test_create_get_and_bookkeeping(cat: Catalogue) -> None:
    p = cat.create(
        {"name": " 十字螺丝刀 ", "sku": "SD-1", "price_decimal": "12.50", "tags": "热销，新品"},
        by="alice",
    )
    assert p["name"] == "十字螺丝刀" and p["price"] == 1250 and p["price_decimal"] == "12.50"
    assert p["currency"] == "CNY" and p["tags"] == ["热销", "新品"] and p["rev"] == 1
    assert p["price_history"] == [
        {"price": 1250, "at": p["created_at"], "source": "create", "by": "alice"}
    ]
    assert "deleted" not in p
    assert cat.get(p["id"]) == p


def test_missing_and_wrong_fields_are_listed(cat: Catalogue) -> None:
    with pytest.raises(errors.ValidationError) as exc:
        cat.create({"sku": "X", "price": -5, "currency": "yuan", "colour": "red"})
    assert set(exc.value.fields) == {"name", "price", "currency", "colour"}
    with pytest.raises(errors.ValidationError) as exc:
        cat.create({"name": "a", "price": 100, "price_decimal": "2.00"})
    assert "disagree" in exc.value.fields["price"]
    assert cat.list()["total"] == 0


def test_price_change_appends_history_and_keeps_it(cat: Catalogue) -> None:
    p = cat.create({"name": "扳手", "price": 500})
    same = cat.update(p["id"], {"name": "扳手", "price": 500})
    assert same["rev"] == 1  # nothing changed, no new revision
    p2 = cat.update(p["id"], {"price_decimal": "5.50"}, if_match=1, by="bob")
    assert p2["rev"] == 2 and p2["price"] == 550
    assert [h["price"] for h in p2["price_history"]] == [500, 550]
    assert p2["price_history"][1]["source"] == "edit" and p2["price_history"][1]["by"] == "bob"
    p3 = cat.update(p["id"], {"spec": "8寸"})
    assert len(p3["price_history"]) == 2  # no price change, no entry
    # A client sending the history back cannot rewrite it.
    p4 = cat.update(p["id"], {**p3, "price_history": [], "price": 600})
    assert [h["price"] for h in p4["price_history"]] == [500, 550, 600]


def test_stale_revision_is_a_conflict_with_the_current_record(cat: Catalogue) -> None:
    p = cat.create({"name": "钳子", "price": 100})
    cat.update(p["id"], {"price": 200}, if_match=1)
    with pytest.raises(errors.Conflict) as exc:
        cat.update(p["id"], {"price": 300}, if_match=1)
    assert exc.value.extra["current"]["price"] == 200
    assert exc.value.extra["current"]["rev"] == 2
    with pytest.raises(errors.Conflict):
        cat.delete(p["id"], if_match=1)


def test_sku_is_unique_without_regard_to_case(cat: Catalogue) -> None:
    a = cat.create({"name": "A", "sku": "Ab-1", "price": 1})
    with pytest.raises(errors.Conflict) as exc:
        cat.create({"name": "B", "sku": "aB-1", "price": 1})
    assert exc.value.extra["current"]["id"] == a["id"]
    b = cat.create({"name": "B", "sku": "B-1", "price": 1})
    with pytest.raises(errors.Conflict):
        cat.update(b["id"], {"sku": "AB-1"})
    # Products without a SKU do not collide.
    cat.create({"name": "C", "price": 1})
    cat.create({"name": "D", "price": 1})
    # A deleted product's SKU is free again.
    cat.delete(a["id"])
    assert cat.create({"name": "A2", "sku": "AB-1", "price": 1})["sku"] == "AB-1"


def test_delete_is_a_tombstone(cat: Catalogue) -> None:
    p = cat.create({"name": "锤子", "price": 100})
    assert cat.delete(p["id"]) == {"ok": True, "id": p["id"]}
    with pytest.raises(errors.NotFound):
        cat.get(p["id"])
    with pytest.raises(errors.NotFound):
        cat.delete(p["id"])
    assert cat.list()["total"] == 0
    stored = cat.store.table("products").all()
    assert len(stored) == 1 and stored[0]["deleted"] is True and stored[0]["rev"] == 2
    assert stored[0]["deleted_at"]


def test_images_can_only_be_reordered_or_removed_by_patch(cat: Catalogue) -> None:
    p = cat.create({"name": "灯泡", "price": 100})
    with pytest.raises(errors.ValidationError):
        cat.update(p["id"], {"images": ["../../etc/passwd"]})
    key1, key2 = "a" * 64 + ".png", "b" * 64 + ".jpg"
    for key in (key1, key2):
        cat.add_image(
            p["id"],
            {
                "key": key,
                "name": "x.png",
                "content_type": "image/png",
                "width": 1,
                "height": 1,
                "size": 10,
            },
        )
    assert cat.get(p["id"])["images"] == [key1, key2]
    assert cat.update(p["id"], {"images": [key2, key1]})["images"] == [key2, key1]
    assert cat.remove_image(p["id"], key2)["images"] == [key1]
    assert cat.image_meta(key1)["name"] == "x.png"


def test_list_parameters_are_checked(cat: Catalogue) -> None:
    for params, field in (
        ({"sort": "colour"}, "sort"),
        ({"page": "0"}, "page"),
        ({"per_page": "9999"}, "per_page"),
        ({"min_price": "1.5"}, "min_price"),
        ({"min_price": "500", "max_price": "100"}, "max_price"),
        ({"colour": "red"}, "colour"),
    ):
        with pytest.raises(errors.ValidationError) as exc:
            cat.list(params)
        assert field in exc.value.fields
    assert cat.list({"_": "123", "q": "", "category": ""})["total"] == 0


def test_list_filters_sorts_and_pages(cat: Catalogue) -> None:
    for name, price, category in (
        ("螺丝刀", 1200, "五金"),
        ("扳手", 3000, "五金"),
        ("手套", 500, "劳保"),
        ("安全帽", 4500, "劳保"),
    ):
        cat.create({"name": name, "price": price, "category": category, "supplier": "ACME"})
    names = [i["name"] for i in cat.list({"sort": "name"})["items"]]
    assert names == ["安全帽", "扳手", "螺丝刀", "手套"]  # pinyin order: an, ban, luo, shou
    page = cat.list({"category": "劳保", "sort": "-price", "per_page": "1", "page": "2"})
    assert page["total"] == 2 and [i["name"] for i in page["items"]] == ["手套"]
    assert "price_history" not in page["items"][0]
    ranged = cat.list({"min_price": "1000", "max_price": "3000", "supplier": "acme"})
    assert {i["name"] for i in ranged["items"]} == {"螺丝刀", "扳手"}
