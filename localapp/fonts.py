"""Where the CJK font for PDF files is (the schedule's Gantt PDF, the quotation), and
the few drawing steps both documents share (`cjk_document`, `set_pen`, `place_text`).

A PDF only shows Chinese when it carries the glyphs itself, so the documents
embed a font; the PDF code subsets it to the characters used, which keeps a
file of a few hundred characters at tens of kilobytes. No font ships with the
app (none is copied into the repository): we use one Debian installs, in the
order of `CANDIDATES`, and `LOCALAPP_PDF_FONT` names another file when set.

Noto Sans CJK comes first: SIL Open Font License 1.1, which allows embedding,
and its Simplified Chinese face (SC) draws the characters as readers in China
expect them. The fallbacks are TrueType collections with licences that allow
embedding too (WenQuanYi: GPL with the font exception; AR PL: the Arphic
Public License).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import AppError

#: Names another font file (.ttf, .otf, .ttc, .otc) in place of the installed ones.
ENV_VAR = "LOCALAPP_PDF_FONT"

#: The Debian package `build/run-tests.sh` installs, named in the error when no font is found.
PACKAGE = "fonts-noto-cjk"


@dataclass(frozen=True)
class Face:
    """A font file and, for a collection (.ttc), which face in it to use."""

    path: Path
    index: int = 0


#: Known Debian files, best first: (regular, bold or None, face index in the collection).
#: NotoSansCJK-*.ttc holds JP, KR, SC, TC, HK in that order: 2 is Simplified Chinese.
CANDIDATES: tuple[tuple[str, str | None, int], ...] = (
    (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
        2,
    ),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", None, 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", None, 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", None, 0),
)

#: Face indexes of known collections by file name, for a file named by LOCALAPP_PDF_FONT.
_KNOWN_INDEX = {Path(regular).name: index for regular, _bold, index in CANDIDATES}
_KNOWN_INDEX.update({Path(bold).name: index for _r, bold, index in CANDIDATES if bold})


class FontMissing(AppError):
    """No CJK font to embed: a PDF with Chinese cannot be made on this machine."""

    status = 500
    code = "pdf_font_missing"
    title = "PDF font missing"


def _missing(detail: str) -> FontMissing:
    return FontMissing(
        f"找不到可嵌入 PDF 的中文字体（{detail}）。请安装 Debian 软件包 {PACKAGE}"
        f"（apt-get install {PACKAGE}），或用环境变量 {ENV_VAR} 指定字体文件。"
        f" / No CJK font to embed in PDF files ({detail}). Install the Debian package"
        f" {PACKAGE} (apt-get install {PACKAGE}) or set {ENV_VAR} to a font file."
    )


def cjk_font() -> Path:
    """The CJK font file to embed: `LOCALAPP_PDF_FONT` when set, else the first
    installed of `CANDIDATES`. Raises `FontMissing` (a message in Chinese and
    English that names the package to install) when there is none."""
    return cjk_faces()[0].path


def cjk_faces() -> tuple[Face, Face | None]:
    """(regular, bold or None) faces of the CJK font, found as `cjk_font` finds it.

    The bold face is used for titles where the same family has one; a file named
    by the environment has none, and the documents then write titles in the
    regular face.
    """
    named = os.environ.get(ENV_VAR, "").strip()
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise _missing(f"{ENV_VAR}={named} is not a file")
        return Face(path, _KNOWN_INDEX.get(path.name, 0)), None
    for regular, bold, index in CANDIDATES:
        if Path(regular).is_file():
            bold_face = Face(Path(bold), index) if bold and Path(bold).is_file() else None
            return Face(Path(regular), index), bold_face
    raise _missing("looked in " + ", ".join(r for r, _b, _i in CANDIDATES))


def cjk_document(orientation: str) -> tuple[Any, bool]:
    """(a new A4 fpdf2 document with the CJK font registered as "cjk", whether it
    has the bold face too): what every PDF export starts from. `orientation` is
    "P" or "L". Raises `FontMissing` as `cjk_faces` does."""
    from fpdf import FPDF

    regular, bold = cjk_faces()
    pdf = FPDF(orientation=orientation, unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("cjk", "", str(regular.path), collection_font_number=regular.index)
    if bold is not None:
        pdf.add_font("cjk", "B", str(bold.path), collection_font_number=bold.index)
    return pdf, bold is not None


#: an RGB colour as fpdf2 takes it
Color = tuple[int, int, int]


def set_pen(pdf: Any, draw: Color | None = None, w: float = 0.2, fill: Color | None = None) -> None:
    """The line colour and width, and the fill colour, for what is drawn next."""
    if draw is not None:
        pdf.set_draw_color(*draw)
        pdf.set_line_width(w)
    if fill is not None:
        pdf.set_fill_color(*fill)


def place_text(
    pdf: Any, x: float, mid: float, text: str, align: str = "L", fit: float = 0
) -> float:
    """`text` in the current font, its middle at height `mid`, starting (L),
    centred (C) or ending (R) at x, cut with an ellipsis to `fit` mm when given;
    its width."""
    while fit and text and pdf.get_string_width(text) > fit:
        text = text[:-2] + "…" if len(text) > 1 else ""
    width = float(pdf.get_string_width(text))
    left = x - width if align == "R" else x - width / 2 if align == "C" else x
    pdf.text(left, mid + pdf.font_size * 0.36, text)
    return width
