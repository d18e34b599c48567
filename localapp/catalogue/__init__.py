"""The price catalogue: products, prices and their history, images, orders
imported from spreadsheets, and statistics.

Plain Python over the Store (no bottle):

- products.py    `Catalogue`: products, exact prices and price history, imports applied
- search.py      the product search index (name, SKU, pinyin), kept current by a listener
- imports.py     reading spreadsheets (xlsx, xls, csv) and mapping their columns
- images.py      product and order pictures by content hash, checked by Pillow
- orders.py      orders from spreadsheets, matched to products
- statistics.py  /api/statistics
- exports.py     the products spreadsheet (xlsx)

The product's fields are declared in localapp/kinds.py; money is
localapp/money.py.
"""

from .products import PRODUCTS, Catalogue, ImportOptions, parse_list_params

__all__ = ["PRODUCTS", "Catalogue", "ImportOptions", "parse_list_params"]
