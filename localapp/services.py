"""The running program's parts: one of each per open store, built by app.py.

`app.build_services` (the composition root) makes them in order, starts the
threads they need and registers their closing on the caller's ExitStack;
the web layer is handed this object and builds nothing itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .catalogue import Catalogue
    from .catalogue.images import ImageStore
    from .catalogue.orders import Orders
    from .catalogue.quotes import Company, CustomerPrices, Customers, Quotes
    from .catalogue.statistics import Statistics
    from .changes import Changes
    from .problems import Problems
    from .schedule import Schedule
    from .sync.service import SyncService


@dataclass(frozen=True)
class Services:
    #: projects, tasks, task types and /api/data (keeps its mirror current)
    schedule: Schedule
    #: products, prices and imports (keeps its search index current)
    catalogue: Catalogue
    #: product pictures by content hash
    images: ImageStore
    orders: Orders
    #: customers, their own prices, and quotations (catalogue/quotes.py)
    customers: Customers
    customer_prices: CustomerPrices
    quotes: Quotes
    #: the company's details for its documents
    company: Company
    statistics: Statistics
    #: rules between records that offline edits break
    problems: Problems
    #: this store's side of sync: records every write, pushes and pulls
    sync: SyncService
    #: change counts per table, for pages that show others' edits live
    changes: Changes
