"""A server devices sync with keeps its sync records in a file of their own,
read after it is up (localapp/store/apart.py). Restarted with that file
damaged, it still serves its products, and says which file is wrong: in its
log, and to a device that tries to sync."""

from __future__ import annotations

import time
from pathlib import Path

from conftest import start_server
from polling import wait_for

from localapp.catalogue import Catalogue
from localapp.store import Store
from localapp.sync.service import SyncService


def test_a_hub_with_a_damaged_sync_file_serves_its_products_and_names_the_file(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    with Store.open(data) as store:
        catalogue = Catalogue(store)
        for i in range(3):
            catalogue.create({"sku": f"HUB-{i}", "name": f"扳手 {i}", "price": 10 + i})
        SyncService(store).pull(None, 1)  # a device synced: a hub from now on
        store.storage.compact()
    (apart,) = data.glob("localapp.json.sync-*")
    apart.write_bytes(b'{"format": "localapp-store", "tables": {')
    server = start_server(data)
    try:
        res = server.request("GET", "/api/products")
        assert res.status == 200
        assert sorted(p["sku"] for p in res.json()["items"]) == ["HUB-0", "HUB-1", "HUB-2"]
        wait_for(lambda: apart.name in server.log(), "the log names the damaged file")
        time.sleep(1.5)  # the background sync loop's first look, a second after the start
        assert "Exception in thread" not in server.log()
        res = server.request("GET", "/api/sync/pull?limit=10")
        assert res.status >= 500, res.body[:300]
        error = res.json()["error"]
        assert error["code"] == "store_corrupt" and apart.name in error["message"], error
    finally:
        server.stop()
