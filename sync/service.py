"""The sync service of one running program: what the web layer and the CLI call.

Every instance is both sides at once:

- **hub**: it answers `push` and `pull` for devices. Without a bucket the
  hub is its own store (records served by sequence number). With a bucket
  (`BucketConfig`) the bucket's change log is the truth and the local store
  is only a cache: a push is appended to the bucket log before it is
  answered (the cache reads it later), a pull reads the bucket log, the
  instance's own web edits are stored in the log before their answer leaves
  (`flush`; if the bucket does not take them the answer is 503 `not_durable`
  and the background keeps trying), and `catch_up` reads what other
  instances wrote and writes the snapshots. An instance restarted with an
  empty `/tmp` starts from the newest snapshot and the log after it.
- **client**: with a server URL and token set (`localapp sync setup`, or the
  settings page), `run()` pushes this store's changes to that server and
  pulls everyone else's. The token is a secret the client must send, so it
  cannot be stored hashed: it is kept in `<data dir>/sync-token`, readable
  by the owner only, never in the store, its backups or the logs.

One round runs at a time per process (a lock); failures are recorded in the
state (shown by the status indicator) and never block local editing.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import ValidationError
from ..store.api import StoreAPI
from . import files, incoming, rounds, snapshots, values
from . import remote as remotes
from .config import BucketConfig
from .errors import BucketUnsafe, NotDurable, StorageUnavailable, SyncError, error_dict
from .log import Bucket
from .replica import Replica
from .values import open_conflicts

log = logging.getLogger(__name__)

TOKEN_FILE = "sync-token"
DEFAULT_INTERVAL = 60
MIN_INTERVAL = 10
MAX_PULL_PAGE = 5000
#: how often a bucket-backed instance reads the log before answering a read
CATCH_UP_EVERY = 1.0
#: a web write's edits: tries to store them in the bucket before answering,
#: and the pause between tries (each try has botocore's own retries inside)
FLUSH_TRIES = 2
FLUSH_PAUSE = 0.5
#: after the bucket failed: first wait before the background tries again,
#: doubling up to the longest; reads meanwhile serve this instance's cache
RETRY_FIRST = 1.0
RETRY_LONGEST = 60.0
#: how often the bucket housekeeping looks for work when nobody asks
TEND_EVERY = 60.0


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class SyncService:
    def __init__(
        self,
        store: StoreAPI,
        *,
        bucket: BucketConfig | None = None,
        uploads: Path | None = None,
        max_drift_ms: int | None = None,
        snapshot_every: int = snapshots.SNAPSHOT_EVERY,
        check_now: bool = True,
    ) -> None:
        """Local writes are recorded only once sync is in use: a desktop once sync
        is set up on it, a server once a device first pushes or pulls (it is a
        hub from then on), an instance with a bucket always. Until then a record
        costs nothing extra; the first use stamps what exists, once.

        `check_now=False` (a server that listens first): the comparison of every
        document with its record waits for `replica.check()`, run once loaded."""
        self.store = store
        kwargs = {} if max_drift_ms is None else {"max_drift_ms": max_drift_ms}
        self.replica = Replica(store, seeds=values.seed_records(), recording=False, **kwargs)
        state = self.replica.state()
        if bucket is not None or state.get("url") or state.get("hub"):
            self.replica.start_recording(check=check_now)
        self.token_path = Path(store.data_dir) / TOKEN_FILE
        self.uploads = uploads or Path(store.data_dir) / "uploads"
        self.blob_dir = self.uploads / "blobs"
        self.bucket_config = bucket
        self.bucket: remotes.BucketRemote | None = None
        if bucket is not None:
            self.bucket = remotes.BucketRemote(Bucket.from_config(bucket))
        self._round = threading.Lock()
        self._hub = threading.Lock()
        self._last_catch_up = 0.0
        # a push landed in the log since the cache last read it
        self._stale = False
        self._snapshot_upto: int | None = None
        # the bucket's last failure (the edits then wait here) and when to retry
        self._bucket_error: dict[str, Any] | None = None
        self._bucket_failures = 0
        self._retry_at = 0.0
        #: set when the bucket housekeeping has work (Background waits on it)
        self.bucket_work = threading.Event()
        self.snapshot_every = snapshot_every
        #: set when the bucket was found not to honour conditional writes: it is
        #: then never written to (instances sharing it would overwrite each other)
        self._refused: BucketUnsafe | None = None
        #: whether the probe has run (it cannot while the bucket is unreachable)
        self._probed = False
        self.running = False
        #: the round's progress while one runs: {"phase", "done", "total"} (records)
        self.progress: dict[str, Any] | None = None
        self.next_attempt: str | None = None  # set by Background

    # -- hub side ----------------------------------------------------------------------

    def push(self, batch: str, replica: str, records: list[Mapping[str, Any]]) -> dict[str, Any]:
        """A device's batch. With a bucket it is durable in the bucket before we answer."""
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise ValidationError(
                "`records` must be a list of sync records.",
                fields={"records": "not a list of records"},
            )
        checked = incoming.checked(records)
        self.replica.check_stamps(checked)
        if self.bucket is None:
            self._become_hub()
            seq, duplicate = self.replica.receive(batch, checked)
            return {"ok": True, "number": seq, "duplicate": duplicate}
        self._ensure_probed()
        answer = self.bucket.push(batch, replica, checked)
        # Durable now. This instance's cache reads the batch on its next read
        # (or in the background when a snapshot is due), not before answering.
        self._stale = True
        if self._snapshot_due():
            self.bucket_work.set()
        return answer

    def _become_hub(self) -> None:
        """A device syncs with this server: record every write from now on (and
        at every later start), stamping once what was written before."""
        if self.replica.recording:
            return
        with self._hub:
            if not self.replica.recording:
                self.replica.update_state(hub=True)
                self.replica.start_recording()

    def pull(self, since: str | None, limit: int, *, lines: bool = False) -> dict[str, Any]:
        """A page for a pulling device; `lines`: snapshot records as lines."""
        limit = max(1, min(MAX_PULL_PAGE, limit))
        if self.bucket is not None:
            records, cursor, more = self.bucket.pull(since, limit, lines=lines)
        else:
            seq = remotes.parse_cursor(since, "L")
            self._become_hub()
            records, nxt, more = self.replica.records_since(seq, limit)
            cursor = f"L{nxt}"
        return {"records": records, "cursor": cursor, "more": more}

    def catch_up(self, *, force: bool = False) -> None:
        """Bucket mode: send this instance's edits to the log, read the log to its
        end, then write a snapshot if one is due.

        Without `force` (a read about to be answered) it does nothing if it
        ran less than CATCH_UP_EVERY ago and nothing was pushed or edited here
        since, or while the bucket is failing (the background retries then,
        and reads serve this instance's cache).
        """
        if self.bucket is None:
            return
        if not force:
            now = time.monotonic()
            if now < self._retry_at:
                return
            if (
                now - self._last_catch_up < CATCH_UP_EVERY
                and not self._stale
                and not self.replica.pending()
            ):
                return
        if self._refused is not None:
            if force:
                raise self._refused
            return  # a read serves this instance's copy; /health says why
        with self._hub:
            bucket = self.bucket
            self._stale = False
            try:
                self._ensure_probed()
                rounds.run_round(
                    self.replica,
                    bucket,
                    cursor_key="bucket_cursor",
                    before_push=lambda recs: files.upload(recs, self.uploads, bucket),
                )
            except SyncError as exc:
                self._stale = True
                self._bucket_failed(exc)
                raise
            self._bucket_ok()
            self._last_catch_up = time.monotonic()
            due = self._snapshot_job(bucket)
        if due is not None:  # written after the lock: edits are not held up meanwhile
            bucket.snapshot_and_compact(*due)

    def flush(self) -> None:
        """Bucket mode: store this instance's own edits in the log now (no reading).

        Tried FLUSH_TRIES times; then `NotDurable` is raised and the
        background goes on trying (with backoff) until the bucket takes them.
        """
        if self.bucket is None:
            return
        bucket = self.bucket
        if self._refused is not None:
            raise self._refused
        failure: SyncError | None = None
        for attempt in range(FLUSH_TRIES):
            if attempt:
                time.sleep(FLUSH_PAUSE)
            try:
                with self._hub:
                    self._ensure_probed()
                    rounds.push(
                        self.replica,
                        bucket,
                        before_push=lambda recs: files.upload(recs, self.uploads, bucket),
                    )
            except BucketUnsafe:
                raise  # refused for good, not a failure to retry
            except StorageUnavailable as exc:
                failure = exc
                continue
            except SyncError as exc:  # refused, damaged: trying again now will not help
                failure = exc
                break
            self._bucket_ok()
            if self._snapshot_due():
                self.bucket_work.set()
            return
        assert failure is not None
        self._bucket_failed(failure)
        raise NotDurable(
            "Your change is saved on this server instance, but the sync storage could not "
            f"store it ({failure.message}). This server keeps it and sends it as soon as the "
            "storage is back, so there is no need to enter it again. Until then it is not "
            "safe: if this server instance restarts before the storage is back, the change "
            "can be lost.",
            extra={
                "title": NotDurable.title,
                "cause": failure.code,
                "unflushed": self.replica.pending(),
            },
        ) from failure

    def tend(self) -> float:
        """Bucket housekeeping, run by `Background`: store edits that are still
        waiting here, and write a snapshot when one is due. Returns the seconds
        until it should run again (sooner if `bucket_work` is set)."""
        if self.bucket is None or self._refused is not None:
            return TEND_EVERY
        wait = self._retry_at - time.monotonic()
        if wait > 0:
            return wait
        if not self.replica.pending() and not self._snapshot_due():
            return TEND_EVERY
        try:
            self.catch_up(force=True)
        except SyncError as exc:
            log.warning(
                "Sync bucket: %s; %d edits wait on this instance, next try in %.0f s",
                exc.message,
                self.replica.pending(),
                self._retry_at - time.monotonic(),
            )
            return max(0.0, self._retry_at - time.monotonic())
        return TEND_EVERY

    def _bucket_failed(self, exc: SyncError) -> None:
        self._bucket_error = error_dict(exc)
        self._bucket_failures += 1
        delay = min(RETRY_LONGEST, RETRY_FIRST * 2 ** min(self._bucket_failures - 1, 10))
        self._retry_at = time.monotonic() + delay
        self.bucket_work.set()

    def _bucket_ok(self) -> None:
        self._bucket_error = None
        self._bucket_failures = 0
        self._retry_at = 0.0

    def _snapshot_due(self) -> bool:
        """True when the log has grown `snapshot_every` batches past the last snapshot
        this instance knows of (or it has not looked for snapshots yet)."""
        if self.bucket is None:
            return False
        if self._snapshot_upto is None:
            return True
        return snapshots.should_snapshot(
            self.bucket.log.known_tail, self._snapshot_upto, self.snapshot_every
        )

    def check_bucket(self) -> dict[str, bool] | None:
        """Bucket mode: try the store's conditional writes on a probe object. A store
        that ignores put-if-absent is refused for shared use: nothing is written
        to it, and /health, the log and the UI say why. None without a bucket."""
        if self.bucket is None:
            return None
        capabilities = self.bucket.bucket.probe()
        self._probed = True
        if capabilities["put_if_absent"]:
            self._refused = None
        else:
            self._refused = BucketUnsafe.of(self.bucket.bucket.name)
            log.error("%s", self._refused.message)
        return capabilities

    def _ensure_probed(self) -> None:
        """Probe the bucket before the first write to it (it may have been unreachable
        at start), and refuse it from then on if it must be refused."""
        if not self._probed:
            self.check_bucket()
        if self._refused is not None:
            raise self._refused

    def health(self) -> dict[str, Any] | None:
        """Bucket mode: edits saved here but not yet in the bucket, and why."""
        if self.bucket is None:
            return None
        wait = self._retry_at - time.monotonic()
        return {
            "bucket": self.bucket.bucket.name,
            "unflushed": self.replica.pending(),
            "error": error_dict(self._refused) if self._refused else self._bucket_error,
            "next_retry": None
            if wait <= 0
            else datetime.fromtimestamp(time.time() + wait, UTC)
            .isoformat(timespec="seconds")
            .replace("+00:00", "Z"),
        }

    def _snapshot_job(self, bucket: remotes.BucketRemote) -> tuple[int, list[bytes]] | None:
        """Every `snapshot_every` log batches, the snapshot to write: (the log entry
        it covers up to, every record), or None.

        Called right after reading the log to its end, with the hub lock held
        (no flush in between), and only with nothing left to push: then this
        instance's records are exactly the log up to its cursor. The check and
        the copy are one read of the store, so an edit made meanwhile either
        stops the snapshot or comes after it. Writing it needs no lock: edits
        made meanwhile go to the log after it.
        """
        if self._snapshot_upto is None:
            newest = bucket.snapshots.newest()
            self._snapshot_upto = newest.upto if newest else 0
        upto = remotes.parse_cursor(self.replica.state().get("bucket_cursor"), "B")
        if not snapshots.should_snapshot(upto, self._snapshot_upto, self.snapshot_every):
            return None
        settled = self.replica.settled("bucket_cursor")
        if settled is None:
            return None
        cursor, records = settled
        if not cursor or "." in cursor:  # not at a batch's end: wait for the next read
            return None
        upto = remotes.parse_cursor(cursor, "B")
        # taken: not taken again meanwhile, nor retried before `snapshot_every` more
        self._snapshot_upto = upto
        return upto, records

    def put_blob(self, digest: str, data: bytes) -> None:
        if hashlib.sha256(data).hexdigest() != digest:
            raise ValidationError(
                "The file's content does not match its sha256 name.",
                fields={"sha256": "does not match the content"},
            )
        if self.bucket is not None:
            self.bucket.put_blob(data)
            return
        path = self._blob_path(digest)
        if not path.exists():
            from ..store.files import atomic_write

            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, data)

    def get_blob(self, digest: str) -> bytes | None:
        """A file by its hash, from this hub's bucket or its own folders; None if absent."""
        if self.bucket is not None:
            try:
                return self.bucket.get_blob(digest)
            except SyncError as exc:
                if exc.status != 404:
                    raise
        candidates = [self._blob_path(digest)]
        for folder in ("images", "orders"):  # uploaded on this instance itself
            candidates += sorted((self.uploads / folder).glob(f"{digest}.*"))
        for path in candidates:
            if path.is_file():
                data = path.read_bytes()
                if hashlib.sha256(data).hexdigest() == digest:
                    return data
        return None

    def _files(self, default: Any) -> Any:
        """Where a client sends and fetches files: its own bucket if set up, else the server."""
        cfg = self.replica.state().get("files_bucket")
        if not cfg:
            return default
        config = BucketConfig(cfg["bucket"], cfg.get("endpoint"), cfg.get("region"))
        return remotes.BucketRemote(Bucket.from_config(config))

    def fetch_file(self, rel: str) -> Path | None:
        """Bring a file a record points at (`images/<key>`, `orders/<key>`) here, lazily.

        Looked for in this hub's own store of files (its bucket or blob
        folder), then, on a client, at its server. The content is checked
        against the name; None when no one has it (yet).
        """
        folder, _, key = rel.partition("/")
        digest = files.digest_of(key)
        if folder not in ("images", "orders") or digest is None:
            return None
        target = self.uploads / folder / key
        if target.is_file():
            return target
        data = self.get_blob(digest)
        if data is None and self.configured():
            try:
                data = self._files(self.remote()).get_blob(digest)
            except SyncError as exc:
                if exc.status != 404:
                    log.info("Could not fetch %s from the sync server: %s", rel, exc.message)
                return None
        if data is None or hashlib.sha256(data).hexdigest() != digest:
            return None
        from ..store.files import atomic_write

        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, data)
        return target

    def _blob_path(self, digest: str) -> Path:
        from .log import BlobStore

        BlobStore.key(digest)  # validates the name
        return self.blob_dir / digest[:2] / digest

    # -- client side ---------------------------------------------------------------

    def client_settings(self) -> dict[str, Any]:
        state = self.replica.state()
        files = state.get("files_bucket") or {}
        return {
            "url": state.get("url") or None,
            "token_set": self._token() is not None,
            "interval": int(state.get("interval") or DEFAULT_INTERVAL),
            "replica": self.replica.replica_id,
            "files_bucket": files.get("bucket"),
        }

    def _token(self) -> str | None:
        try:
            token = self.token_path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return token or None

    def _write_token(self, token: str | None) -> None:
        if token is None:
            with contextlib.suppress(FileNotFoundError):
                self.token_path.unlink()
            return
        tmp = self.token_path.with_name(self.token_path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(token + "\n")
        os.replace(tmp, self.token_path)

    def configure(
        self,
        *,
        url: str | None,
        token: str | None = None,
        interval: int | None = None,
        bucket: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Set (or with url "" clear) the server this device syncs with."""
        fields: dict[str, str] = {}
        if url is not None and not isinstance(url, str):
            raise ValidationError(
                "The sync settings are not valid.", fields={"url": "must be text"}
            )
        url = (url or "").strip().rstrip("/")
        if url and not url.startswith(("http://", "https://")):
            fields["url"] = "must start with http:// or https://"
        if interval is not None and (not isinstance(interval, int) or interval < MIN_INTERVAL):
            fields["interval"] = f"must be a whole number of seconds, at least {MIN_INTERVAL}"
        if token is not None and (
            not isinstance(token, str)
            or not token.strip()
            or any(c.isspace() for c in token.strip())
        ):
            fields["token"] = "must be the token printed by `localapp token create`"
        if url and token is None and self._token() is None:
            fields["token"] = "is required"
        if fields:
            raise ValidationError("The sync settings are not valid.", fields=fields)
        state = self.replica.state()
        values: dict[str, Any] = {}
        if interval is not None:
            values["interval"] = interval
        if bucket is not None:
            values["files_bucket"] = dict(bucket) if bucket.get("bucket") else None
        if url != (state.get("url") or ""):
            # A different server has none of our records and other cursors.
            values.update(url=url or None, cursor=None, error=None, last_ok=None, inflight=None)
        if values:
            self.replica.update_state(**values)
        if url:
            self.replica.start_recording()  # a desktop setting sync up for the first time
        if url and values.get("url"):
            self.replica.mark_all()
        if token is not None:
            self._write_token(token.strip())
        if not url:
            self._write_token(None)
        return self.client_settings()

    def remote(self) -> remotes.HttpRemote:
        state = self.replica.state()
        token = self._token()
        if not state.get("url") or token is None:
            raise SyncError(
                "Sync is not set up on this device. Run `localapp sync setup --url "
                "URL --token TOKEN` or open the sync settings.",
                title="Sync not set up",
                code="sync_not_configured",
                status=409,
            )
        return remotes.HttpRemote(state["url"], token)

    def run(self, progress: rounds.Progress | None = None) -> rounds.Summary:
        """One round with the configured server; the result is recorded in the state.
        While it runs, `status()["progress"]` says how far it has got, in records."""
        remote = self.remote()

        def note(phase: str, done: int, total: int) -> None:
            self.progress = {"phase": phase, "done": done, "total": total}
            if progress is not None:
                progress(phase, done, total)

        with self._round:
            self.running = True
            self.progress = None
            self.replica.update_state(last_attempt=_now_iso())
            try:
                summary = rounds.run_round(
                    self.replica,
                    remote,
                    progress=note,
                    before_push=lambda recs: files.upload(recs, self.uploads, self._files(remote)),
                )
            except BaseException as exc:
                self.replica.update_state(error=error_dict(exc))
                raise
            finally:
                self.running = False
                self.progress = None
            self.replica.update_state(
                error=None, last_ok=_now_iso(), last_summary=summary.to_dict()
            )
            return summary

    def configured(self) -> bool:
        """Whether a server to sync with is set up (its URL and a token): what
        the background loop asks every few seconds, without counting records
        (a hub's are read only when something needs them)."""
        return bool(self.replica.state().get("url")) and self._token() is not None

    def status(self) -> dict[str, Any]:
        state = self.replica.state()
        return {
            "configured": self.configured(),
            "url": state.get("url") or None,
            "replica": self.replica.replica_id,
            "interval": int(state.get("interval") or DEFAULT_INTERVAL),
            "last_attempt": state.get("last_attempt"),
            "last_ok": state.get("last_ok"),
            "pending": self.replica.pending(),
            "conflicts": self.replica.conflict_count(),
            "running": self.running,
            "progress": self.progress,
            "next_attempt": self.next_attempt,
            "error": state.get("error"),
            "last_summary": state.get("last_summary"),
            "bucket": self.bucket_config.bucket if self.bucket_config else None,
        }

    # -- conflicts -----------------------------------------------------------------

    def conflicts(self) -> dict[str, Any]:
        items = [values.conflict_item(rec, i, c) for rec, i, c in self.replica.conflicts()]
        return {"items": items, "total": len(items)}

    def decide(self, data: Mapping[str, Any]) -> dict[str, Any]:
        missing = {
            k: "required"
            for k in ("table", "id", "s", "kind", "action")
            if not isinstance(data.get(k), str) or not data.get(k)
        }
        if data.get("action") not in (None, "use", "keep"):
            missing["action"] = "must be 'use' or 'keep'"
        if missing:
            raise ValidationError("Say which conflict and what to do with it.", fields=missing)
        field = data.get("field")
        rec = self.replica.decide(
            str(data["table"]),
            str(data["id"]),
            str(data["s"]),
            str(data["kind"]),
            str(field) if field else None,
            data["action"] == "use",
        )
        return {
            "ok": True,
            "conflicts": self.replica.conflict_count(),
            "record_conflicts": len(open_conflicts(rec)),
        }
