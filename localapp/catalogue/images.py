"""Product and order images: checked by content, stored by content hash, with thumbnails.

An upload is accepted only if Pillow recognises it as PNG, JPEG, GIF or WebP
from its bytes (the client's file name and content type are never
trusted), its header declares at most `MAX_PIXELS`, and it decodes fully.
Decompression bombs are refused before decoding: our own pixel limit is
checked on the header, and Pillow's (`Image.MAX_IMAGE_PIXELS`,
DecompressionBombWarning/Error) is turned into the same refusal.

Files are stored under the uploads Location as `images/<sha256>.<ext>`, so
a name can never hold a path and the same picture uploaded twice is stored
once. The thumbnail, `images/thumbs/<sha256>.webp`, has the EXIF
orientation applied (phone photos stand upright) and its longest side at
most `THUMB_SIZE`. Both are written to a temporary file and renamed into
place, so a reader never sees half a file.
"""

from __future__ import annotations

import errno
import hashlib
import io
import re
import unicodedata
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .. import errors
from ..store.files import atomic_write

MAX_PIXELS = 40_000_000
THUMB_SIZE = 320
THUMB_TYPE = "image/webp"

#: Pillow format -> (extension, content type).
FORMATS: dict[str, tuple[str, str]] = {
    "PNG": ("png", "image/png"),
    "JPEG": ("jpg", "image/jpeg"),
    "GIF": ("gif", "image/gif"),
    "WEBP": ("webp", "image/webp"),
}
CONTENT_TYPES: dict[str, str] = {ext: ctype for ext, ctype in FORMATS.values()}
KEY = re.compile(r"^[0-9a-f]{64}\.(png|jpg|gif|webp)$")


@dataclass(frozen=True)
class ImageInfo:
    key: str  # "<sha256>.<ext>"
    name: str  # the client's file name, cleaned, for display only
    content_type: str
    width: int
    height: int
    size: int

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["url"] = f"/api/images/{self.key}"
        out["thumbnail_url"] = f"/api/images/{self.key}/thumb"
        return out


def display_name(raw: str | None, fallback: str = "file") -> str:
    """A client's file name made safe to show and store as text (never used as a path)."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(c for c in name if c.isprintable()).strip().strip(".")
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[:110] + dot + ext[:9]) if dot and len(ext) < 10 else name[:120]
    return name or fallback


def looks_like_image(data: bytes) -> bool:
    """The file starts like one of our formats (so an unreadable one is damaged, not foreign)."""
    return data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")) or (
        data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    )


def _probe(data: bytes) -> Any:
    """Open `data` with Pillow, refusing unknown types and decompression bombs."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=list(FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except UnidentifiedImageError:
        if looks_like_image(data):
            raise errors.ValidationError(
                "The image is damaged and cannot be read.", fields={"file": "damaged image"}
            ) from None
        raise errors.UnsupportedType(
            "This file is not a PNG, JPEG, GIF or WebP image.",
            fields={"file": "not png, jpg, jpeg, gif or webp"},
        ) from None
    except Exception:  # Pillow raises many types for broken headers
        raise errors.ValidationError(
            "The image is damaged and cannot be read.", fields={"file": "damaged image"}
        ) from None
    width, height = image.size
    if width < 1 or height < 1:
        raise errors.ValidationError("The image has no pixels.", fields={"file": "empty image"})
    if width * height > MAX_PIXELS:
        raise _too_many_pixels(width, height)
    return image


def _too_many_pixels(width: int = 0, height: int = 0) -> errors.TooLarge:
    size = f" ({width} x {height})" if width else ""
    return errors.TooLarge(
        f"The image is too large{size}; the most is {MAX_PIXELS // 1_000_000} megapixels.",
        fields={"file": "too many pixels"},
        extra={"limit_pixels": MAX_PIXELS},
    )


def check_image(data: bytes) -> tuple[str, int, int]:
    """(Pillow format, width, height) of a valid image, or an AppError."""
    if not data:
        raise errors.ValidationError("The file is empty.", fields={"file": "empty"})
    image = _probe(data)
    fmt = image.format
    try:
        image.verify()  # structure and checksums, without decoding every pixel
    except Exception:
        raise errors.ValidationError(
            "The image is damaged and cannot be read.", fields={"file": "damaged image"}
        ) from None
    return fmt, image.size[0], image.size[1]


def make_thumbnail(data: bytes, size: int = THUMB_SIZE) -> bytes:
    """A WebP thumbnail, upright (EXIF orientation applied), longest side <= `size`."""
    from PIL import Image, ImageOps

    image = _probe(data)  # verify() leaves an image unusable: open again
    try:
        image.draft("RGB", (size * 2, size * 2))  # JPEG: decode at a reduced scale
        image = ImageOps.exif_transpose(image)
        image.thumbnail((size, size))
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert(
                "RGBA" if "transparency" in image.info or image.mode in ("LA", "PA", "P") else "RGB"
            )
        out = io.BytesIO()
        image.save(out, "WEBP", quality=80, method=4)
        return out.getvalue()
    except errors.AppError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except Exception:  # truncated data shows up only when pixels are decoded
        raise errors.ValidationError(
            "The image is damaged and cannot be read.", fields={"file": "damaged image"}
        ) from None


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that it appears whole or not at all, and survives a crash."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, data)
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise errors.StoreFull(
                f"The disk holding {path.parent} is full, so the file was not saved. "
                "Free some space and try again."
            ) from None
        raise


class ImageStore:
    """Images and thumbnails under one directory (the uploads Location)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root) / "images"

    def path(self, key: str) -> Path:
        if not KEY.match(key):
            raise errors.NotFound(f"There is no image {key!r}.")
        return self.root / key

    def thumb_path(self, key: str) -> Path:
        if not KEY.match(key):
            raise errors.NotFound(f"There is no image {key!r}.")
        return self.root / "thumbs" / (key.split(".", 1)[0] + ".webp")

    def save(self, data: bytes, client_name: str | None) -> ImageInfo:
        """Check an upload and store it with its thumbnail; returns what was stored."""
        fmt, width, height = check_image(data)
        thumb = make_thumbnail(data)
        ext, ctype = FORMATS[fmt]
        key = f"{hashlib.sha256(data).hexdigest()}.{ext}"
        target = self.root / key
        if not target.exists():
            write_atomic(target, data)
        thumb_target = self.thumb_path(key)
        if not thumb_target.exists():
            write_atomic(thumb_target, thumb)
        return ImageInfo(
            key, display_name(client_name, f"image.{ext}"), ctype, width, height, len(data)
        )

    def read(self, key: str, *, thumb: bool = False) -> tuple[Path, str]:
        """(path, content type) of a stored image or its thumbnail, or NotFound."""
        path = self.thumb_path(key) if thumb else self.path(key)
        if not path.is_file():
            raise errors.NotFound(f"There is no image {key!r}.")
        return path, THUMB_TYPE if thumb else CONTENT_TYPES[key.rsplit(".", 1)[1]]
