"""Catalogue HTTP routes: thin handlers over the catalogue domain modules.

Products (REST with If-Match), product images and their thumbnails, the
spreadsheet import (preview with `dry_run=1`, then an all-or-nothing
commit), the xlsx export, orders and /api/statistics. Every rule lives in
the domain (catalogue.py, imports.py, images.py, orders.py, statistics.py);
a handler only reads the request and shapes the answer. Documented in
docs/catalogue.md; the contract for the UI is the same document.

Handlers are module functions bound with functools.partial (as in
schedule_routes): bottle's `Route.get_undecorated_callback` inspects closure
cells, and a partial leaves it nothing to misread.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import bottle

from .. import errors
from ..auth import Principal
from ..catalogue import Catalogue, ImportOptions, columns, imports, order_sheets, parse_list_params
from ..catalogue.exports import PRIVATE_FIELDS, products_xlsx
from ..catalogue.images import ImageStore, display_name
from ..catalogue.orders import Orders
from ..catalogue.quotes import Quotes
from ..catalogue.statistics import Statistics
from ..sheets import XLSX_TYPE, write_sheet
from .context import AppContext
from .plugins import json_body
from .requests import attachment, if_match, not_modified, query_params, uploaded_file
from .requests import flag as _flag
from .requests import with_etag as _with_etag

log = logging.getLogger(__name__)

#: Content-addressed files never change: browsers may keep them for a year.
IMMUTABLE = "private, max-age=31536000, immutable"


@dataclass
class Parts:
    """The catalogue's domain objects for one app."""

    catalogue: Catalogue
    images: ImageStore
    orders: Orders
    statistics: Statistics
    max_bytes: int
    #: customers' prices (catalogue/quotes.py), for a list shown for one customer
    quotes: Quotes | None = None
    #: who sees cost prices (settings.cost_users); None: every signed-in user
    cost_users: frozenset[str] | None = None
    #: brings a file that synced records point at (`images/<key>`) here; None if no one has it
    fetch: Callable[[str], Path | None] = lambda rel: None


def _form(name: str) -> str:
    value = bottle.request.forms.get(name)
    return value if isinstance(value, str) else ""


# -- products ----------------------------------------------------------------------


def _sees_cost(parts: Parts, user: Principal) -> bool:
    """Whether `user` may see cost prices: never an anonymous reader
    (LOCALAPP_PUBLIC_READ); a signed-in user unless LOCALAPP_COST_USERS names others."""
    if user.anonymous:
        return False
    return parts.cost_users is None or user.name in parts.cost_users


def _shown(parts: Parts, product: dict[str, Any], user: Principal) -> dict[str, Any]:
    """A product as `user` may see it (`_sees_cost`)."""
    if not _sees_cost(parts, user):
        for name in PRIVATE_FIELDS:
            product.pop(name, None)
    return product


def list_products(parts: Parts, user: Principal) -> dict[str, Any]:
    """List and search products (name, SKU, pinyin; filters, sort, pages);
    `customer_id` (signed in) adds each one's price for that customer."""
    params = query_params()
    customer = params.pop("customer_id", "")
    found = parts.catalogue.list(params)
    found["items"] = [_shown(parts, p, user) for p in found["items"]]
    if customer and not user.anonymous and parts.quotes is not None:
        parts.quotes.prices_for(customer, found["items"])
    return found


def create_product(parts: Parts, user: Principal) -> dict[str, Any]:
    """Create a product."""
    product = parts.catalogue.create(json_body(), by=user.name)
    bottle.response.status = 201
    bottle.response.set_header("Location", f"/api/products/{product['id']}")
    return {"product": _with_etag(product)}


def get_product(parts: Parts, id: str, user: Principal) -> dict[str, Any]:
    """One product with its price history."""
    return {"product": _with_etag(_shown(parts, parts.catalogue.get(id), user))}


def update_product(parts: Parts, id: str, user: Principal) -> dict[str, Any]:
    """Change a product (`If-Match` for safety)."""
    product = parts.catalogue.update(id, json_body(), if_match=if_match(), by=user.name)
    return {"product": _with_etag(product)}


def batch_products(parts: Parts, user: Principal) -> dict[str, Any]:
    """Change the chosen products alike (category, supplier, a price by an amount or
    a percent), or put a batch's `undo` back; `?dry_run=1` only previews."""
    return parts.catalogue.batch(json_body(), commit=not _flag("dry_run"), by=user.name)


def delete_product(parts: Parts, id: str) -> dict[str, Any]:
    """Delete a product."""
    return parts.catalogue.delete(id, if_match=if_match())


def facets(parts: Parts) -> dict[str, Any]:
    """Categories and suppliers with counts, for filters."""
    return parts.catalogue.facets()


def export_products(parts: Parts, user: Principal) -> bottle.HTTPResponse:
    """The products (same filters as the list) as a spreadsheet."""
    query = parse_list_params(query_params())
    body = products_xlsx(parts.catalogue.all_live(query), private=_sees_cost(parts, user))
    # named like the schedule's exports: 价格目录-<YYYY-MM-DD>.xlsx
    return attachment(
        body, XLSX_TYPE, f"价格目录-{time.strftime('%Y-%m-%d')}.xlsx", "catalogue.xlsx"
    )


# -- images --------------------------------------------------------------------------


def upload_image(parts: Parts, id: str, user: Principal) -> dict[str, Any]:
    """Add an image to a product (multipart)."""
    expected = if_match()
    parts.catalogue.get(id)  # 404 before any work on the file
    data, name = uploaded_file(parts.max_bytes)
    info = parts.images.save(data, name)
    product = parts.catalogue.add_image(id, info.to_dict(), if_match=expected, by=user.name)
    bottle.response.status = 201
    return {"image": info.to_dict(), "product": _with_etag(product)}


def remove_image(parts: Parts, id: str, key: str, user: Principal) -> dict[str, Any]:
    """Remove an image from a product."""
    product = parts.catalogue.remove_image(id, key, if_match=if_match(), by=user.name)
    return {"product": _with_etag(product)}


def _read_image(parts: Parts, key: str, thumb: bool) -> tuple[Path, str]:
    try:
        return parts.images.read(key, thumb=thumb)
    except errors.NotFound:
        # A picture added on another device: fetched from sync when first shown,
        # and stored (with its thumbnail) only if it really is a picture.
        fetched = parts.fetch(f"images/{key}")
        if fetched is None:
            raise
        parts.images.save(fetched.read_bytes(), None)
        return parts.images.read(key, thumb=thumb)


def _send_image(parts: Parts, key: str, thumb: bool) -> bottle.HTTPResponse:
    path, ctype = _read_image(parts, key, thumb)
    etag = f'"{key.split(".", 1)[0]}{"-thumb" if thumb else ""}"'
    headers = {
        "ETag": etag,
        "Cache-Control": IMMUTABLE,
        "Content-Type": ctype,
        "X-Content-Type-Options": "nosniff",
    }
    if not_modified(etag):
        return bottle.HTTPResponse(status=304, **headers)
    body = path.read_bytes()
    return bottle.HTTPResponse(body, status=200, **{**headers, "Content-Length": str(len(body))})


def get_image(parts: Parts, key: str) -> bottle.HTTPResponse:
    """An image."""
    return _send_image(parts, key, thumb=False)


def get_thumbnail(parts: Parts, key: str) -> bottle.HTTPResponse:
    """An image's thumbnail (WebP)."""
    return _send_image(parts, key, thumb=True)


# -- import ---------------------------------------------------------------------------


def import_template(parts: Parts) -> bottle.HTTPResponse:
    """An empty price list with the headers the import knows (导入模板.xlsx)."""
    heads = [(h, h, 14) for h in columns.PRODUCT_TEMPLATE]
    return attachment(
        write_sheet("商品", heads, []), XLSX_TYPE, "导入模板-商品.xlsx", "template.xlsx"
    )


def order_template(parts: Parts) -> bottle.HTTPResponse:
    """An empty order sheet with the line headers the order upload reads."""
    heads = [(names[0], names[0], 14) for names in order_sheets.LINE_SYNONYMS.values()]
    return attachment(write_sheet("订单", heads, []), XLSX_TYPE, "导入模板-订单.xlsx", "order.xlsx")


def import_products(parts: Parts, user: Principal) -> dict[str, Any]:
    """Import a price list (xlsx, xls, csv); `?dry_run=1` previews."""
    data, name = uploaded_file(parts.max_bytes)
    override = columns.parse_override(_form("mapping") or None, imports.PRODUCT_FIELDS)
    options = ImportOptions(
        commit=not _flag("dry_run"),
        skip_errors=_flag("skip_errors"),
        by=user.name,
        file_name=display_name(name, "import"),
    )
    return parts.catalogue.import_file(data, options, override)


# -- orders ---------------------------------------------------------------------------


def list_orders(parts: Parts) -> dict[str, Any]:
    """List orders."""
    return parts.orders.list(query_params())


def upload_order(parts: Parts, user: Principal) -> dict[str, Any]:
    """Upload an order sheet or image (multipart)."""
    data, name = uploaded_file(parts.max_bytes)
    fields = {k: _form(k) for k in ("number", "customer", "date")}
    order = parts.orders.upload(data, name, fields=fields, by=user.name)
    bottle.response.status = 201
    bottle.response.set_header("Location", f"/api/orders/{order['id']}")
    return {"order": order}


def get_order(parts: Parts, id: str) -> dict[str, Any]:
    """One order with its lines."""
    return {"order": parts.orders.get(id)}


def order_file(parts: Parts, id: str) -> bottle.HTTPResponse:
    """The order's uploaded sheet, as a download under its cleaned original name."""
    try:
        source = parts.orders.source(id)
    except errors.NotFound:
        info = parts.orders.get(id).get("source_file") or {}
        if not info.get("key") or parts.fetch(f"orders/{info['key']}") is None:
            raise
        source = parts.orders.source(id)
    return attachment(source.path.read_bytes(), source.content_type, source.name, source.fallback)


def review_order(parts: Parts, id: str, user: Principal) -> dict[str, Any]:
    """Match lines to products, correct quantities and prices, mark the order reviewed."""
    return {"order": parts.orders.review(id, json_body(), by=user.name, if_match=if_match())}


def delete_order(parts: Parts, id: str) -> dict[str, Any]:
    """Delete an order."""
    return parts.orders.delete(id)


def statistics(parts: Parts) -> dict[str, Any]:
    """Counts, orders by month, top products, price changes; `from`/`to`
    (YYYY-MM-DD, inclusive) narrow the orders and price changes to those days."""
    params = query_params()
    span: dict[str, dt.date | None] = {}
    for name in ("from", "to"):
        raw = params.get(name, "")
        try:
            span[name] = dt.date.fromisoformat(raw) if raw else None
        except ValueError:
            raise errors.ValidationError(
                "The statistics range is not valid.", fields={name: "a date as YYYY-MM-DD"}
            ) from None
    if span["from"] and span["to"] and span["to"] < span["from"]:
        raise errors.ValidationError(
            "The statistics range is not valid.", fields={"to": "on or after from"}
        )
    return parts.statistics.compute(start=span["from"], end=span["to"])


def install(app: bottle.Bottle, ctx: AppContext) -> None:
    services = ctx.services
    parts = Parts(
        catalogue=services.catalogue,
        images=services.images,
        orders=services.orders,
        statistics=services.statistics,
        max_bytes=ctx.settings.max_content_length,
        fetch=services.sync.fetch_file,
        quotes=services.quotes,
        cost_users=ctx.settings.cost_users,
    )
    routes: list[tuple[str, str, Any]] = [
        ("/api/products", "GET", list_products),
        ("/api/products", "POST", create_product),
        ("/api/products/facets", "GET", facets),
        ("/api/products/export.xlsx", "GET", export_products),
        ("/api/products/import", "POST", import_products),
        ("/api/products/template.xlsx", "GET", import_template),
        ("/api/products/batch", "POST", batch_products),
        ("/api/products/<id>", "GET", get_product),
        ("/api/products/<id>", "PATCH", update_product),
        ("/api/products/<id>", "DELETE", delete_product),
        ("/api/products/<id>/images", "POST", upload_image),
        ("/api/products/<id>/images/<key>", "DELETE", remove_image),
        ("/api/images/<key>", "GET", get_image),
        ("/api/images/<key>/thumb", "GET", get_thumbnail),
        ("/api/orders", "GET", list_orders),
        ("/api/orders", "POST", upload_order),
        ("/api/orders/template.xlsx", "GET", order_template),
        ("/api/orders/<id>", "GET", get_order),
        ("/api/orders/<id>", "PATCH", review_order),
        ("/api/orders/<id>", "DELETE", delete_order),
        ("/api/orders/<id>/file", "GET", order_file),
        ("/api/statistics", "GET", statistics),
    ]
    for rule, method, handler in routes:
        app.route(rule, method, partial(handler, parts))
