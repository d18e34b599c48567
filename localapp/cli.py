"""The `localapp` command line.

    localapp [--data-dir D]                 the desktop app (window, else the browser)
    localapp desktop [--no-window] [--no-browser] [--port P]
                                            the desktop app, with choices
    localapp serve [--host H] [--port P]    headless server
    localapp token create|revoke|list       API tokens
    localapp user passwd NAME               set a password (read from stdin or asked)
    localapp backup                         write a backup, print its path
    localapp restore FILE                   replace the data with a backup
    localapp sync                           one sync round with the server, with progress
    localapp sync setup --url URL --token T set the server this device syncs with
    localapp sync status | off              show the sync state / stop syncing

`--data-dir` is accepted before or after any sub-command. Results go to
stdout (a new token is always the last line); messages and logs go to
stderr. Exit codes: 0 ok, 1 user error, 2 the data store cannot be used,
3 the desktop app is already running for this data dir.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from . import __version__, app, auth, errors, logs, paths
from .settings import Settings
from .store import Store


def _parser() -> argparse.ArgumentParser:
    # --data-dir on the main parser and on every sub-command; SUPPRESS keeps a
    # sub-command's missing flag from hiding one given before the sub-command.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        type=Path,
        default=argparse.SUPPRESS,
        help="data directory (default: LOCALAPP_DATA_DIR, else the user data dir)",
    )
    parser = argparse.ArgumentParser(
        prog="localapp", parents=[common], description="Project schedule and price catalogue."
    )
    parser.add_argument("--version", action="version", version=f"localapp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = sub.add_parser("serve", parents=[common], help="run headless on a port")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=int, help="port (default: PORT, else FC_SERVER_PORT, else 5000)"
    )

    desk = sub.add_parser(
        "desktop",
        parents=[common],
        help="the desktop app (what `localapp` alone does), with choices",
    )
    desk.add_argument(
        "--no-window",
        action="store_true",
        help="no window: print a one-time link and serve it in the browser",
    )
    desk.add_argument(
        "--no-browser",
        action="store_true",
        help="do not open the browser (the link is printed either way)",
    )
    desk.add_argument(
        "--port",
        type=int,
        help="port on 127.0.0.1 (default: last time's if free, else any free one)",
    )

    _add_account_commands(sub, common)

    sub.add_parser("backup", parents=[common], help="write a backup and print its path")
    restore = sub.add_parser("restore", parents=[common], help="replace the data with a backup")
    restore.add_argument("file", type=Path)

    _add_sync_command(sub, common)
    return parser


def _add_account_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """`token create|revoke|list` and `user passwd`."""
    token = sub.add_parser("token", parents=[common], help="API tokens")
    tsub = token.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    create = tsub.add_parser(
        "create", parents=[common], help="make a token; it is printed once, as the last line"
    )
    create.add_argument("name")
    create.add_argument("--user", default=auth.ADMIN, help="account the token acts as")
    revoke = tsub.add_parser("revoke", parents=[common], help="revoke a token by name")
    revoke.add_argument("name")
    tsub.add_parser("list", parents=[common], help="list token names")

    user = sub.add_parser("user", parents=[common], help="accounts")
    usub = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    passwd = usub.add_parser(
        "passwd", parents=[common], help="set a password (from stdin when not a terminal)"
    )
    passwd.add_argument("name")


def _add_sync_command(sub: Any, common: argparse.ArgumentParser) -> None:
    """`sync` (a round now) and `sync setup|status|off`."""
    sync = sub.add_parser(
        "sync", parents=[common], help="sync with the server now (setup, status, off: see below)"
    )
    ssub = sync.add_subparsers(dest="sync_command", metavar="ACTION")
    setup = ssub.add_parser("setup", parents=[common], help="set the server to sync with")
    setup.add_argument("--url", required=True, help="the server, e.g. https://example.com")
    setup.add_argument(
        "--token",
        help="an API token made on the server with `localapp token create` (else read from stdin)",
    )
    setup.add_argument("--interval", type=int, help="seconds between background syncs")
    setup.add_argument(
        "--bucket",
        help="also fetch and send files (images, order sheets) straight through this S3 bucket",
    )
    setup.add_argument("--endpoint", help="the bucket's S3 endpoint URL")
    setup.add_argument("--region", help="the bucket's region")
    ssub.add_parser("status", parents=[common], help="last sync, pending changes, conflicts")
    ssub.add_parser(
        "check",
        parents=[common],
        help="try the sync bucket's conditional writes (LOCALAPP_S3_* / OSS_* settings)",
    )
    ssub.add_parser("off", parents=[common], help="stop syncing (the data stays)")


def _settings(args: argparse.Namespace) -> Settings:
    # The desktop's --port is its own (127.0.0.1 only); PORT is for serve.
    port = getattr(args, "port", None) if args.command == "serve" else None
    return Settings.from_env(
        data_dir=getattr(args, "data_dir", None), host=getattr(args, "host", None), port=port
    )


def _cmd_desktop(args: argparse.Namespace, settings: Settings) -> int:
    return app.run_desktop(
        settings, port=args.port, window=not args.no_window, open_browser=not args.no_browser
    )


def _cmd_token(args: argparse.Namespace, settings: Settings) -> int:
    with app.open_store(settings) as opened:
        accounts = app.open_accounts(settings, opened.store)
        if args.token_command == "create":
            token = auth.create_token(accounts, args.name, user=args.user)
            where = (
                f" in the sync bucket {settings.bucket.bucket!r}, so every instance accepts it"
                if settings.bucket
                else ""
            )
            print(
                f"Created API token {args.name!r} for {args.user}{where}. It is shown only "
                "once; send it as 'Authorization: Bearer <token>':"
            )
            print(token)
        elif args.token_command == "revoke":
            auth.revoke_token(accounts, args.name)
            print(f"Revoked API token {args.name!r}.")
        else:
            tokens = auth.list_tokens(accounts)
            if not tokens:
                print("No API tokens.")
            for t in tokens:
                made = datetime.fromtimestamp(t["created"]).strftime("%Y-%m-%d %H:%M")
                print(f"{t['name']}\t{t['user']}\t{made}")
    return 0


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("New password: ")
    if first != getpass.getpass("Again: "):
        raise errors.ValidationError("The two passwords differ; nothing was changed.")
    return first


def _cmd_user(args: argparse.Namespace, settings: Settings) -> int:
    with app.open_store(settings) as opened:
        accounts = app.open_accounts(settings, opened.store)
        if args.name == auth.ADMIN and auth.get_user(accounts, auth.ADMIN) is None:
            auth.create_user(accounts, auth.ADMIN, _read_password())
            print(f"Created the account {auth.ADMIN}.")
            return 0
        auth.set_password(accounts, args.name, _read_password())
    print(f"Changed the password of {args.name}; it is signed out everywhere.")
    return 0


def _cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    with app.open_store(settings) as opened:
        print(opened.store.backup())
    return 0


def _cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    source = args.file.expanduser().resolve()
    if not source.is_file():
        raise errors.NotFound(f"There is no backup file at {source}.")
    # restore_into works on a damaged store too (the reason to restore): it
    # keeps the damaged files aside instead of opening them.
    data = paths.data_location(settings.data_dir)
    kept = Store.restore_into(data.path, source, backup_keep=settings.backup_keep)
    print(f"Restored the data in {data.path} from {source}.")
    for path in kept:
        print(f"The data as it was before is kept in {path}")
    return 0


def _progress(phase: str, done: int, total: int) -> None:
    what = {"push": "sent", "pull": "received"}[phase]
    shown = f"{done}/{total}" if total else str(done)
    end = "\n" if not sys.stderr.isatty() else "\r"
    print(f"  {what} {shown} records", file=sys.stderr, end=end, flush=True)


def _print_status(status: dict[str, object]) -> None:
    print(f"server:    {status['url'] or '(not set up)'}")
    print(f"device id: {status['replica']}")
    print(f"last sync: {status['last_ok'] or 'never'}")
    print(f"pending:   {status['pending']} records to send")
    print(f"conflicts: {status['conflicts']}")
    error = status.get("error")
    if isinstance(error, dict):
        print(f"error:     {error.get('title')}: {error.get('message')}")


def _print_bucket_usage(settings: Settings) -> None:
    """What the sync bucket holds, by prefix (one LIST of the bucket)."""
    from .sync.log import Bucket
    from .sync.remote import BucketRemote

    assert settings.bucket is not None
    usage = BucketRemote(Bucket.from_config(settings.bucket)).usage()
    print(f"bucket:    {settings.bucket.bucket}")
    for prefix, slot in sorted(usage.items()):
        print(f"  {prefix:<12} {slot['objects']:>8,} objects {slot['bytes']:>14,} bytes")
    total = sum(s["objects"] for s in usage.values()), sum(s["bytes"] for s in usage.values())
    print(f"  {'(all)':<12} {total[0]:>8,} objects {total[1]:>14,} bytes")


def _cmd_sync_check(settings: Settings) -> int:
    """`localapp sync check`: does the bucket honour conditional writes?"""
    from .sync.log import Bucket

    if settings.bucket is None:
        print("No sync bucket is set (LOCALAPP_S3_BUCKET or OSS_BUCKET).", file=sys.stderr)
        return 2
    found = Bucket.from_config(settings.bucket).probe()
    for name, ok in found.items():
        print(f"{name}: {'yes' if ok else 'NO'}")
    if not found["put_if_absent"]:
        from .sync.errors import BucketUnsafe

        print(BucketUnsafe.of(settings.bucket.bucket).message, file=sys.stderr)
        return 2
    if not found["compare_and_swap"]:
        print(
            "Without compare-and-swap (If-Match) two changes of one account made at the same "
            "instant keep the later one; the sync log and its snapshots do not need it."
        )
    return 0


def _cmd_sync(args: argparse.Namespace, settings: Settings) -> int:
    from .sync.service import SyncService

    if args.sync_command == "check":
        return _cmd_sync_check(settings)
    with app.open_store(settings) as opened:
        # records writes only once sync is set up here (setup starts it)
        service = SyncService(opened.store)
        if args.sync_command == "setup":
            token = args.token
            if token is None:
                token = (
                    sys.stdin.readline().strip()
                    if not sys.stdin.isatty()
                    else getpass.getpass("Token: ").strip()
                )
            bucket = None
            if args.bucket:
                bucket = {"bucket": args.bucket, "endpoint": args.endpoint, "region": args.region}
            service.configure(url=args.url, token=token, interval=args.interval, bucket=bucket)
            print(
                f"This device now syncs with {args.url.rstrip('/')}. "
                "Run `localapp sync` to sync now."
            )
            return 0
        if args.sync_command == "off":
            service.configure(url="")
            print("Sync is off on this device; the data stays here.")
            return 0
        if args.sync_command == "status":
            _print_status(service.status())
            if settings.bucket is not None:
                _print_bucket_usage(settings)
            return 0
        print(
            f"Syncing with {service.client_settings()['url'] or '(not set up)'} ...",
            file=sys.stderr,
        )
        summary = service.run(progress=_progress)
        print(file=sys.stderr)
        print(
            f"Sent {summary.pushed} and received {summary.pulled} records in "
            f"{summary.seconds:.1f} s; {summary.conflicts} conflicts to look at."
        )
        return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = _settings(args)
    logs.setup(settings.log_level)
    commands = {
        "token": _cmd_token,
        "user": _cmd_user,
        "backup": _cmd_backup,
        "restore": _cmd_restore,
        "desktop": _cmd_desktop,
        "sync": _cmd_sync,
    }
    try:
        if args.command == "serve":
            return app.serve(settings)
        if args.command is None:
            return app.run_default(settings)
        return commands[args.command](args, settings)
    except errors.StoreError as exc:
        # Refuse to go on with a damaged or unusable store; the message says
        # what is wrong and how to restore. The file is left as it is.
        print(f"{exc.title}: {exc.message}", file=sys.stderr)
        return 2
    except errors.AppError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
