"""Write tests/data/bucket-<commit>/: a sync bucket as this version of localapp
leaves it, so later versions are tested to open it (issue 14: "buckets written
by the current main still open").

On 127.0.0.1: moto's S3 server, a fresh bucket, `localapp serve` on it with a
snapshot every 3 log batches. Through its API: a project with two linked
tasks, five products, one price changed (a price history of two), one product
deleted; then, once a snapshot exists, one more edit, so the log holds entries
after the snapshot. Every object but `accounts/` (users, password hashes,
tokens: a new instance makes its own) and `probe/` is saved under its key.

    .venv/bin/python tests/data/make_bucket_fixture.py
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import free_port, start_server  # noqa: E402

from localapp.sync.config import BucketConfig  # noqa: E402

DUMMY = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}


def made(r: object) -> dict:  # type: ignore[type-arg]
    assert r.status in (200, 201), r.body  # type: ignore[attr-defined]
    return r.json()  # type: ignore[attr-defined,no-any-return]


def main() -> None:
    import os

    from moto.server import ThreadedMotoServer

    os.environ.update(DUMMY)

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout.strip()
    out = ROOT / "tests" / "data" / f"bucket-{commit}"
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    tmp = Path(tempfile.mkdtemp())
    try:
        config = BucketConfig(
            f"fixture-{uuid.uuid4().hex[:8]}",
            f"http://127.0.0.1:{port}",
            "us-east-1",
            "testing",
            "testing",
        )
        client = config.client()
        client.create_bucket(Bucket=config.bucket)
        env = {
            **DUMMY,
            "LOCALAPP_S3_BUCKET": config.bucket,
            "LOCALAPP_S3_ENDPOINT": config.endpoint or "",
            "LOCALAPP_S3_REGION": "us-east-1",
            "LOCALAPP_SYNC_SNAPSHOT_EVERY": "3",
        }
        server = start_server(tmp / "instance", env=env)
        try:
            project = made(server.request("POST", "/api/projects", {"name": "旧桶项目"}))
            pid = project.get("project", project)["id"]
            task = {"project_id": pid, "type_id": "1", "start": "2026-03-02", "end": "2026-03-06"}
            design = made(server.request("POST", "/api/tasks", {**task, "name": "设计"}))
            design_id = design.get("task", design)["id"]
            made(
                server.request(
                    "POST",
                    "/api/tasks",
                    {
                        **task,
                        "name": "施工",
                        "start": "2026-03-09",
                        "end": "2026-03-13",
                        "depends_on": [design_id],
                    },
                )
            )
            ids = [
                made(
                    server.request(
                        "POST",
                        "/api/products",
                        {"sku": f"OLD-B{i}", "name": f"旧桶商品{i}", "price": 100 * (i + 1)},
                    )
                )["product"]["id"]
                for i in range(5)
            ]
            made(server.request("PATCH", f"/api/products/{ids[1]}", {"price": 2500}))
            assert server.request("DELETE", f"/api/products/{ids[4]}").status in (200, 204)
            deadline = time.monotonic() + 60
            while not client.list_objects_v2(Bucket=config.bucket, Prefix="snapshots/").get(
                "KeyCount"
            ):
                assert time.monotonic() < deadline, "no snapshot was written in 60 s"
                server.request("GET", "/api/products?per_page=1")  # a read catches up
                time.sleep(0.5)
            made(server.request("PATCH", f"/api/products/{ids[2]}", {"name": "快照之后改名"}))
        finally:
            server.stop()
        if out.exists():
            shutil.rmtree(out)
        saved = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=config.bucket):
            for item in page.get("Contents") or ():
                key = item["Key"]
                if key.startswith(("accounts/", "probe/")):
                    continue
                path = out / key
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(client.get_object(Bucket=config.bucket, Key=key)["Body"].read())
                saved.append(key)
        (out / "EXPECTED.json").write_text(
            json.dumps(
                {"products": ids, "deleted": ids[4], "renamed": ids[2], "repriced": ids[1]},
                indent=1,
            )
            + "\n"
        )
        print(f"{len(saved)} objects in {out.relative_to(ROOT)}")
    finally:
        moto.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
