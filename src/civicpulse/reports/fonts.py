"""A TrueType font with Vietnamese glyphs for PDF reports (the PDF base-14 fonts cannot draw "Hồ Chí Minh").

Looked up in CIVICPULSE_PDF_FONT_DIR first, then where Linux distributions install DejaVu
(Debian/Ubuntu package `fonts-dejavu-core`, Fedora `dejavu-sans-fonts`, Arch `ttf-dejavu`).
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR, BOLD = "CivicPulseSans", "CivicPulseSans-Bold"
_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}
_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu-sans-fonts", "/usr/share/fonts/dejavu",
         "/usr/share/fonts/TTF", "/usr/local/share/fonts")
VIETNAMESE_SAMPLE = "ĂÂĐÊÔƠƯăâđêôơư ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"


class FontError(RuntimeError):
    """No usable font with Vietnamese glyphs was found."""


def font_dirs() -> list[Path]:
    configured = os.environ.get("CIVICPULSE_PDF_FONT_DIR", "").strip()
    return [Path(d) for d in ([configured] if configured else []) + list(_DIRS)]


@cache
def register_fonts() -> tuple[str, str]:
    """Register the regular and bold report fonts with reportlab once; returns their names."""
    for directory in font_dirs():
        paths = {name: directory / file for name, file in _FILES.items()}
        if all(p.is_file() for p in paths.values()):
            for name, path in paths.items():
                font = TTFont(name, str(path))
                missing = [c for c in VIETNAMESE_SAMPLE if c != " " and ord(c) not in font.face.charToGlyph]
                if missing:
                    raise FontError(f"{path} lacks Vietnamese glyphs ({''.join(missing[:10])}...)")
                pdfmetrics.registerFont(font)
            return REGULAR, BOLD
    raise FontError("no DejaVuSans.ttf/DejaVuSans-Bold.ttf found for PDF reports (looked in "
                    f"{', '.join(str(d) for d in font_dirs())}): install the package fonts-dejavu-core "
                    "or set CIVICPULSE_PDF_FONT_DIR to a folder holding both files")
