"""Sync engine (installed as `localapp.sync`): issue 6, foundations only so far.

Offline edits on several desktops and the deployed server come together
through the server's sync API and S3-compatible storage. The modules, each
small and importable on its own (see docs/sync.md):

- `hlc`: hybrid logical clock stamps, with the clock-drift guard;
- `merge`: pure, deterministic merge of replicated records (no I/O);
- `log`: the bucket layout, an append-only put-if-absent change log and
  content-addressed blobs over boto3 (imported lazily);
- `config`: where the bucket is, from `LOCALAPP_S3_*` / `OSS_*` env vars;
- `errors`: our exceptions, each with a title and a message for the user.

The client sync loop, the `/api/sync/push|pull` routes, `localapp sync` and the
desktop status indicator are not built yet; nothing in the app imports this
package so far.
"""
