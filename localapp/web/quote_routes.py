"""Customers, their own prices and quotations over HTTP: thin handlers over
localapp.catalogue.quotes (the domain). Documented in docs/catalogue.md."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any
from urllib.parse import quote as quote_url

import bottle

from .. import errors
from ..auth import Principal
from ..catalogue.quote_pdf import quote_pdf
from ..catalogue.quotes import CUSTOMER_SYNONYMS, QUOTE_COLUMNS, quote_rows
from ..checks import Invalid
from ..money import parse_cents
from ..recordsets import RecordSet
from ..sheets import XLSX_TYPE, write_sheet
from .context import AppContext
from .plugins import json_body
from .requests import attachment, if_match, query_params, uploaded_file
from .requests import with_etag as _with_etag

PDF_TYPE = "application/pdf"


def list_records(records: RecordSet) -> dict[str, Any]:
    """List customers or quotations (q, filters, sort, pages)."""
    return records.list(query_params())


def create_record(records: RecordSet, path: str) -> dict[str, Any]:
    """Create a customer or a quotation."""
    record = records.create(json_body())
    bottle.response.status = 201
    bottle.response.set_header("Location", f"/api/{path}/{record['id']}")
    return _with_etag(record)


def get_record(records: RecordSet, id: str) -> dict[str, Any]:
    """One customer or quotation."""
    return _with_etag(records.get(id))


def update_record(records: RecordSet, id: str) -> dict[str, Any]:
    """Change a customer or quotation (If-Match for safety)."""
    return _with_etag(records.update(id, json_body(), if_match=if_match()))


def delete_record(records: RecordSet, id: str) -> dict[str, Any]:
    """Delete a customer or quotation."""
    return records.delete(id, if_match=if_match())


def set_customer_price(ctx: AppContext) -> dict[str, Any]:
    """Set a customer's own price for a product (above grades and breaks)."""
    body = json_body()
    if not isinstance(body, dict):
        raise errors.ValidationError("The body must be a JSON object", fields={"body": "object"})
    try:
        price = parse_cents(body.get("price"))
    except Invalid as exc:
        raise errors.ValidationError("The price is not valid.", fields={"price": str(exc)}) from exc
    services = ctx.services
    customer = services.customers.get(str(body.get("customer_id") or ""))
    product = services.catalogue.get(str(body.get("product_id") or ""))
    return services.customer_prices.set_price(customer["id"], product["id"], price)


def quote_price(ctx: AppContext) -> dict[str, Any]:
    """The lookup's price for a customer, product and quantity, and the last one paid."""
    params = query_params()
    try:
        return ctx.services.quotes.quote_price(
            params.get("customer_id", ""), params.get("product_id", ""), params.get("qty") or 1
        )
    except Invalid as exc:
        raise errors.ValidationError(
            "The quantity is not valid.", fields={"qty": str(exc)}
        ) from exc


def quote_file(ctx: AppContext, id: str) -> bottle.HTTPResponse:
    """A quotation as a PDF (Chinese in an embedded font), `lang=en` for English."""
    quote = ctx.services.quotes.get(id)
    try:
        customer = ctx.services.customers.get(str(quote["customer_id"]))
    except errors.NotFound:  # deleted since: the quote keeps its name
        customer = {"name": quote.get("customer_name", "")}
    lang = "en" if query_params().get("lang") == "en" else "zh"
    status = quote.get("status")
    if (
        status in ("draft", "sent")
        and str(quote.get("valid_until") or "9") < dt.date.today().isoformat()
    ):
        status = "expired"
    company = ctx.services.company.get_or_empty()
    logo = None
    if company.get("logo"):
        try:
            logo = ctx.services.images.read(str(company["logo"]))[0].read_bytes()
        except (errors.NotFound, OSError):  # not here (yet): synced files come on demand
            logo = None
    body = quote_pdf(
        {**quote, "status": status, "customer": customer, "company": company},
        lang=lang,
        logo=logo,
    )
    return attachment(body, PDF_TYPE, f"报价单-{quote.get('number')}.pdf", "quotation.pdf")


def import_customers(ctx: AppContext) -> dict[str, Any]:
    """Customers from an uploaded spreadsheet; `?dry_run=1` only counts."""
    data, _name = uploaded_file(ctx.settings.max_content_length)
    return ctx.services.customers.import_sheet(data, commit=query_params().get("dry_run") != "1")


def customer_template(ctx: AppContext) -> bottle.HTTPResponse:
    """An empty customer list with the headers the import knows."""
    heads = [(names[0], names[0], 16) for names in CUSTOMER_SYNONYMS.values()]
    body = write_sheet("客户", heads, [])
    return attachment(body, XLSX_TYPE, "导入模板-客户.xlsx", "customers-template.xlsx")


def qr_svg(ctx: AppContext, what: str, id: str) -> bottle.HTTPResponse:
    """A QR code (SVG) that opens a product or a quotation on a phone: the page's
    address at LOCALAPP_PUBLIC_URL, or at the address this request came to."""
    import io

    import qrcode
    import qrcode.image.svg

    if what == "products":
        ctx.services.catalogue.get(id)  # 404 for none
        page = f"#/catalogue/products/{quote_url(id)}"
    else:
        ctx.services.quotes.get(id)
        page = f"#/catalogue/quotes/{quote_url(id)}"
    base = (
        ctx.settings.public_url
        or bottle.request.urlparts._replace(path="/", query="", fragment="").geturl()
    )
    image = qrcode.make(f"{base.rstrip('/')}/{page}", image_factory=qrcode.image.svg.SvgPathImage)
    out = io.BytesIO()
    image.save(out)
    return bottle.HTTPResponse(out.getvalue(), **{"Content-Type": "image/svg+xml"})


def get_company(ctx: AppContext) -> dict[str, Any]:
    """The company's details printed on its documents."""
    return ctx.services.company.get_or_empty()


def put_company(ctx: AppContext) -> dict[str, Any]:
    """Set the company's details (name, address, phone, tax id, bank account)."""
    return ctx.services.company.save(json_body(), if_match=if_match())


def quote_sheet(ctx: AppContext, id: str) -> bottle.HTTPResponse:
    """A quotation as an xlsx file: its lines, then its totals and 大写金额."""
    quote = ctx.services.quotes.get(id)
    body = write_sheet("报价单", QUOTE_COLUMNS, quote_rows(quote))
    return attachment(body, XLSX_TYPE, f"报价单-{quote.get('number')}.xlsx", "quotation.xlsx")


def put_logo(ctx: AppContext) -> dict[str, Any]:
    """Upload the company's logo (PNG, JPEG ...; checked by content) for its documents."""
    data, name = uploaded_file(ctx.settings.max_content_length)
    info = ctx.services.images.save(data, name)
    return ctx.services.company.set_logo(info.key)


def delete_logo(ctx: AppContext) -> dict[str, Any]:
    """No logo on the documents any more."""
    return ctx.services.company.set_logo("")


def quote_to_order(ctx: AppContext, id: str, user: Principal) -> dict[str, Any]:
    """Turn a quotation into an order, once."""
    quotes = ctx.services.quotes
    quote = quotes.get(id)
    if quote.get("order_id"):
        return {"order": ctx.services.orders.get(str(quote["order_id"])), "quote": quote}
    order = ctx.services.orders.from_quote(quote, by=user.name)
    bottle.response.status = 201
    return {"order": order, "quote": quotes.mark_ordered(id, order["id"])}


def install(app: bottle.Bottle, ctx: AppContext) -> None:
    services = ctx.services
    for path, records in (("customers", services.customers), ("quotes", services.quotes)):
        base = f"/api/{path}"
        app.route(base, "GET", partial(list_records, records))
        app.route(base, "POST", partial(create_record, records, path))
        if path == "quotes":
            app.route("/api/quotes/price", "GET", partial(quote_price, ctx))
        else:
            app.route("/api/customers/import", "POST", partial(import_customers, ctx))
            app.route("/api/customers/template.xlsx", "GET", partial(customer_template, ctx))
        app.route(base + "/<id>", "GET", partial(get_record, records))
        app.route(base + "/<id>", "PATCH", partial(update_record, records))
        app.route(base + "/<id>", "DELETE", partial(delete_record, records))
    app.route("/api/customer-prices", "GET", partial(list_records, services.customer_prices))
    app.route("/api/customer-prices", "PUT", partial(set_customer_price, ctx))
    app.route("/api/company", "GET", partial(get_company, ctx))
    app.route("/api/company", "PUT", partial(put_company, ctx))
    app.route("/api/company/logo", "PUT", partial(put_logo, ctx))
    app.route("/api/company/logo", "DELETE", partial(delete_logo, ctx))
    app.route("/api/quotes/<id>/pdf", "GET", partial(quote_file, ctx))
    app.route("/api/quotes/<id>/xlsx", "GET", partial(quote_sheet, ctx))
    app.route("/api/quotes/<id>/qr.svg", "GET", partial(qr_svg, ctx, "quotes"))
    app.route("/api/products/<id>/qr.svg", "GET", partial(qr_svg, ctx, "products"))
    app.route("/api/quotes/<id>/order", "POST", partial(quote_to_order, ctx))
