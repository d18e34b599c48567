"""The price catalogue: products, prices and their history, images, orders
imported from spreadsheets, and statistics.

Plain Python over the Store (no bottle):

- fields.py      the product record: checks, price history, how the API shows it
- products.py    `Catalogue`: list, search, read, create, change, delete; images
- importing.py   a parsed price list applied: preview, then one transaction
- search.py      the product search index (name, SKU, pinyin), kept current by a listener;
                 pinyin.py gives names their pinyin (螺丝刀: luosidao, lsd)
- imports.py     reading spreadsheets (xlsx, xls, csv) into product rows; columns.py
                 finds the header row and which column holds which field
- images.py      product and order pictures by content hash, checked by Pillow
- orders.py      orders from spreadsheets, matched to products; order_sheets.py reads them
- statistics.py  /api/statistics
- exports.py     the products spreadsheet (xlsx)

The product's fields are declared in localapp/kinds.py; money is
localapp/money.py.
"""

from .fields import PRODUCTS, parse_list_params
from .importing import ImportOptions
from .products import Catalogue

__all__ = ["PRODUCTS", "Catalogue", "ImportOptions", "parse_list_params"]
