"""Sync engine (installed as `localapp.sync`): issue 6.

Offline edits on several desktops and the deployed server come together
through the server's sync API and S3-compatible storage. The modules, each
small and named for what it holds (see docs/sync.md):

- `hlc`: hybrid logical clock stamps, with the clock-drift guard;
- `merge`: pure, deterministic merge of replicated records (no I/O);
- `replica`: one store's side: records every local write, applies what arrives;
- `rounds`: one sync round, push then pull, bounded and crash-safe;
- `remote`: the upstreams: a server over HTTP, a bucket's change log;
- `log`, `snapshots`: the bucket layout over boto3 (imported lazily);
- `files`: pictures and order sheets by content hash;
- `config`: where the bucket is, from `LOCALAPP_S3_*` / `OSS_*` env vars;
- `service`: what the web routes and the CLI call, and the background loop;
- `errors`: our exceptions, each with a title and a message for the user.

Domain code (localapp/*.py) never imports this package; the web layer, the
CLI and the composition root do.
"""
