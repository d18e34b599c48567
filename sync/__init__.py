"""Sync engine (installed as `localapp.sync`): not written yet, see issue 6.

Issue 6 brings offline edits on several desktops and the deployed server
together through the server's sync API and S3-compatible storage: hybrid
logical clock stamps, a pure merge function, and the bucket's change log.
Until then this package is empty and nothing imports it.
"""
