"""Reading the parts of a request that every route module needs.

Query parameters as UTF-8 text, the revision in `If-Match`, yes/no flags,
downloads (`attachment`, with a Content-Disposition any browser reads),
uploads (`uploaded_file`, one multipart field) and the `ETag` of a record: one implementation for all route modules.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import quote

import bottle

from .. import errors

_YES = {"1", "true", "yes", "on"}
#: RFC 5987 attr-char besides letters and digits: what may stay unescaped in filename*.
_ATTR_CHAR = "!#$&+-.^_`|~"
_UNSAFE_IN_NAME = frozenset('"\\/:*?<>|;')


def query_params() -> dict[str, str]:
    # bottle hands query values over as latin-1; decode() gives real UTF-8 text (中文 in q).
    decoded = bottle.request.query.decode()
    return {key: decoded.get(key, "") for key in decoded}


def if_match() -> int | None:
    """The revision from If-Match (`3`, `"3"` or `W/"3"`); None when absent or `*`."""
    raw = (bottle.request.get_header("If-Match") or "").strip()
    if not raw or raw == "*":
        return None
    value = raw.removeprefix("W/").strip().strip('"')
    if not value.isdigit() or len(value) > 15:
        raise errors.ValidationError(
            "If-Match must hold the record's revision number (its rev), e.g. If-Match: 3",
            fields={"If-Match": "must be a revision number"},
        )
    return int(value)


def flag(name: str) -> bool:
    """A yes/no query parameter such as ?cascade=1."""
    return (bottle.request.query.get(name) or "").strip().lower() in _YES


def content_disposition(filename: str, fallback: str = "download") -> str:
    """`attachment` with the file name for every browser: a plain ASCII `filename`
    (what old clients read) and, when the name is more than that, the exact
    name as RFC 5987 `filename*=UTF-8''...` (订单.xlsx stays 订单.xlsx).

    The name is cleaned here too: no quotes, slashes, control characters or
    path, so whatever a caller passes cannot break the header or name a folder.
    """
    name = unicodedata.normalize("NFC", filename.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join("_" if c in _UNSAFE_IN_NAME else c for c in name if c.isprintable())
    name = name.strip(" .") or fallback
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    # The ASCII name: the real one with accents dropped, else the fallback's stem.
    for candidate in (stem, fallback.rpartition(".")[0] or fallback, "download"):
        ascii_stem = _ascii(candidate)
        if any(c.isalnum() for c in ascii_stem):
            break
    ascii_ext = _ascii(ext)
    plain = f"{ascii_stem}.{ascii_ext}" if ascii_ext else ascii_stem
    header = f'attachment; filename="{plain}"'
    if plain != name:
        header += f"; filename*=UTF-8''{quote(name, safe=_ATTR_CHAR)}"
    return header


def _ascii(text: str) -> str:
    """Text as the safe ASCII letters of a quoted header value (é -> e, 订单 -> "")."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    folded = re.sub(r"[^A-Za-z0-9!#$&+\-.^_`|~ ()\[\]{}@,=]+", "_", folded)
    return " ".join(folded.split())[:150]


def attachment(
    body: bytes, content_type: str, filename: str, fallback: str = "download"
) -> bottle.HTTPResponse:
    """A download under `filename` (cleaned; see content_disposition)."""
    return bottle.HTTPResponse(
        body,
        status=200,
        **{
            "Content-Type": content_type,
            "Content-Disposition": content_disposition(filename, fallback),
            "Content-Length": str(len(body)),
        },
    )


def not_modified(etag: str) -> bool:
    """Whether the request's If-None-Match names `etag` (alone or in a list)."""
    sent = bottle.request.get_header("If-None-Match") or ""
    return etag in {m.strip() for m in sent.split(",")}


def with_etag(record: dict[str, Any]) -> dict[str, Any]:
    """Send the record's revision as its ETag, for a later If-Match."""
    bottle.response.set_header("ETag", f'"{record.get("rev")}"')
    return record


def uploaded_file(max_bytes: int, field: str = "file") -> tuple[bytes, str | None]:
    """The bytes and client file name of one multipart upload field."""
    ctype = (bottle.request.content_type or "").split(";")[0].strip().lower()
    if ctype != "multipart/form-data":
        raise errors.UnsupportedType(
            f"Send the file as multipart/form-data in a field named {field!r}, not "
            f"{ctype or 'no type'}.",
            fields={field: "multipart/form-data expected"},
        )
    upload = bottle.request.files.get(field)
    if upload is None:
        raise errors.ValidationError(
            f"Choose a file to upload (form field {field!r}).", fields={field: "required"}
        )
    data = upload.file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise errors.TooLarge(
            f"The file is larger than {max_bytes} bytes.",
            fields={field: "too large"},
            extra={"limit": max_bytes},
        )
    return data, upload.raw_filename
