"""Killed at any moment: `localapp serve` taking writes from three threads is
SIGKILLed, started again on the same data dir, and killed again. Every write it
acknowledged (201) is there afterwards, nothing is there twice, and nothing is
there that no one sent. Bounded: LOCALAPP_FAULT_KILLS rounds (3 by default), each
at most a couple of seconds of writing.
"""

from __future__ import annotations

import http.client
import os
import random
import threading
import time
from pathlib import Path

from conftest import start_server

KILLS = int(os.environ.get("LOCALAPP_FAULT_KILLS", "3"))


def test_every_acknowledged_write_survives_sigkill_and_none_appears_twice(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    rng = random.Random(11)
    acknowledged: set[str] = set()
    sent: set[str] = set()
    lock = threading.Lock()
    for round_ in range(KILLS):
        server = start_server(data, token=round_ == 0)
        if round_ == 0:
            token = server.token
        server.token = token
        stop = threading.Event()

        def writer(w: int, server=server, stop=stop, round_=round_) -> None:  # noqa: ANN001
            for i in range(10_000):  # bounded; the kill ends it long before
                if stop.is_set():
                    return
                sku = f"K{round_}-{w}-{i}"
                with lock:
                    sent.add(sku)
                try:
                    r = server.request(
                        "POST", "/api/products", {"sku": sku, "name": f"断电 {sku}", "price": i + 1}
                    )
                except (OSError, http.client.HTTPException):
                    return  # the server is gone (mid-answer: IncompleteRead)
                if r.status == 201:
                    with lock:
                        acknowledged.add(sku)

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(3)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.4, 1.5))
        server.proc.kill()  # SIGKILL: no clean-up of any kind
        server.proc.wait(timeout=30)
        stop.set()
        for t in threads:
            t.join(30)
    server = start_server(data, token=False)
    server.token = token
    try:
        r = server.request("GET", "/api/products?per_page=500&page=1")
        total = r.json()["total"]
        present: list[str] = []
        for page in range(1, total // 500 + 2):
            items = server.request("GET", f"/api/products?per_page=500&page={page}").json()["items"]
            present += [p["sku"] for p in items]
    finally:
        server.stop()
    print(
        f"{KILLS} kills: {len(sent)} writes sent, {len(acknowledged)} acknowledged, "
        f"{len(present)} present after the last restart"
    )
    assert acknowledged, "no write was acknowledged before the first kill"
    assert acknowledged <= set(present), "an acknowledged write was lost"
    assert len(present) == len(set(present)), "a write is there twice"
    assert set(present) <= sent, "a write no one sent"
