"""Printable A4 documents for the estate summary and the PB pot brief (fpdf2).

Fonts: DejaVu Sans, a Unicode TrueType font that matplotlib (a placespend dependency) ships
in ``mpl-data/fonts/ttf``; the system's copy (Debian ``fonts-dejavu-core``) is the second
choice. Without either, the PDF falls back to the core Helvetica font in Latin-1, which has
``£``; other characters are replaced by close ASCII ones (``–`` -> ``-``) or ``?``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace
from shapely.geometry.base import BaseGeometry

from placespend import __version__, _texts

FAMILY = "DejaVu"
_SYSTEM_FONTS = Path("/usr/share/fonts/truetype/dejavu")
_ASCII = str.maketrans({"—": "-", "–": "-", "‘": "'", "’": "'", "“": '"', "”": '"',
                        "…": "...", "×": "x", "Σ": "sum", "²": "2", "→": "->"})
_BANNER_FILL = (255, 236, 153)
_SHAPE_FILL = (205, 222, 240)
_GREY = (110, 110, 110)


def font_files() -> tuple[Path, Path] | None:
    """The regular and bold DejaVu Sans files, or ``None`` when neither copy is present."""
    spec = importlib.util.find_spec("matplotlib")
    places = []
    if spec is not None and spec.submodule_search_locations:
        places.append(Path(next(iter(spec.submodule_search_locations))) / "mpl-data/fonts/ttf")
    places.append(_SYSTEM_FONTS)
    for folder in places:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    return None


class _Pages(FPDF):
    """FPDF with a footer naming the data and the page."""

    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(size=7)
        self.set_text_color(*_GREY)
        self.cell(0, 5, f"{self.footer_text}   page {self.page_no()}/{{nb}}", align="C")
        self.set_text_color(0, 0, 0)


class Document:
    """One A4 document, written top to bottom: headings, banner, tables, notes, licences."""

    def __init__(self, title: str, data_label: str, *, is_demo: bool) -> None:
        self.data_label = data_label
        self.is_demo = is_demo
        self.pdf = _Pages(format="A4")
        fonts = font_files()
        self.unicode = fonts is not None
        if fonts is not None:
            self.pdf.add_font(FAMILY, "", str(fonts[0]))
            self.pdf.add_font(FAMILY, "B", str(fonts[1]))
            self.family = FAMILY
        else:
            self.family = "helvetica"
        self.pdf.set_margins(15, 15, 15)
        self.pdf.set_auto_page_break(True, margin=16)
        self.pdf.set_title(self.text(title))
        self.pdf.set_subject(self.text(data_label))
        self.pdf.set_creator(f"placespend {__version__}")
        self.pdf.footer_text = self.text(f"placespend {__version__} - {data_label}")
        self.pdf.set_font(self.family, size=10)
        self.pdf.add_page()

    @property
    def width(self) -> float:
        """Usable width between the margins, in mm."""
        return self.pdf.epw

    def text(self, value: object) -> str:
        """Text the current font can show (Latin-1 for the core-font fallback)."""
        text = "" if value is None else str(value)
        if self.unicode:
            return text
        return text.translate(_ASCII).encode("latin-1", "replace").decode("latin-1")

    def heading(self, text: str) -> None:
        self._line(text, size=16, bold=True, height=9)

    def subheading(self, text: str) -> None:
        self._line(text, size=11, height=6)

    def section(self, text: str) -> None:
        self.pdf.ln(3)
        self._line(text, size=12, bold=True, height=7)

    def banner(self) -> None:
        """A yellow box with the data label when the figures are synthetic."""
        if not self.is_demo:
            return
        self.pdf.ln(1)
        self.pdf.set_fill_color(*_BANNER_FILL)
        self.pdf.set_font(self.family, "B", 10)
        self.pdf.multi_cell(0, 6, self.text(f"{self.data_label}. Every figure here is "
                                            "invented for demonstration."),
                            border=1, fill=True, align="L",
                            new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.ln(2)

    def paragraph(self, text: str, size: float = 9) -> None:
        self.pdf.set_font(self.family, "", size)
        self.pdf.multi_cell(0, 4.5, self.text(text), align="L",
                            new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.ln(1)

    def key_values(self, pairs: Sequence[tuple[str, str]], width: float | None = None,
                   x: float | None = None) -> None:
        """Label: value lines (labels bold), starting at ``x`` when given."""
        label_w = 58
        for label, value in pairs:
            if x is not None:
                self.pdf.set_x(x)
            self.pdf.set_font(self.family, "B", 9)
            self.pdf.cell(label_w, 5.5, self.text(label))
            self.pdf.set_font(self.family, "", 9)
            value_w = (width - label_w) if width else 0
            self.pdf.multi_cell(value_w, 5.5, self.text(value), align="L",
                                new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def table(self, headings: Sequence[str], rows: Sequence[Sequence[object]],
              widths: Sequence[float], align: Sequence[str], size: float = 8) -> None:
        """A table that breaks over pages, repeating its headings."""
        self.pdf.set_font(self.family, "", size)
        self.pdf.set_fill_color(255, 255, 255)
        style = FontFace(emphasis="BOLD", fill_color=(225, 225, 225))
        with self.pdf.table(col_widths=tuple(widths), text_align=tuple(align),
                            headings_style=style, line_height=1.35 * size * 0.3528 + 1,
                            width=sum(widths), align="LEFT", cell_fill_mode="ROWS",
                            cell_fill_color=(245, 245, 245)) as table:
            for values in [headings, *rows]:
                row = table.row()
                for value in values:
                    row.cell(self.text(value))
        self.pdf.ln(2)

    def outline(self, geometry: BaseGeometry, size: float, caption: str) -> float:
        """Draw a polygon's outline (EPSG:27700 metres) in a ``size`` mm square at the cursor,
        with a scale bar; returns the x (mm) just right of the drawing."""
        x0, y0 = self.pdf.get_x(), self.pdf.get_y()
        polygons = [g for g in getattr(geometry, "geoms", [geometry])
                    if g.geom_type == "Polygon" and not g.is_empty]
        if not polygons:  # nothing to draw: say so rather than fail
            self.paragraph("(no outline)", size=7)
            return x0 + size
        minx, miny, maxx, maxy = geometry.bounds
        span = max(maxx - minx, maxy - miny, 1.0)
        scale = (size - 8) / span  # mm per metre, leaving room for the scale bar
        ox = x0 + (size - (maxx - minx) * scale) / 2

        def page(x: float, y: float) -> tuple[float, float]:
            return ox + (x - minx) * scale, y0 + (maxy - y) * scale

        self.pdf.set_draw_color(40, 70, 110)
        self.pdf.set_line_width(0.3)
        for poly in polygons:
            self.pdf.set_fill_color(*_SHAPE_FILL)
            self.pdf.polygon([page(*xy) for xy in poly.exterior.coords], style="DF")
            self.pdf.set_fill_color(255, 255, 255)
            for ring in poly.interiors:
                self.pdf.polygon([page(*xy) for xy in ring.coords], style="DF")
        self._scale_bar(x0, y0 + size - 5, scale, size)
        self.pdf.set_draw_color(0, 0, 0)
        self.pdf.set_xy(x0, y0 + size)
        self.pdf.set_font(self.family, "", 7)
        self.pdf.set_text_color(*_GREY)
        self.pdf.multi_cell(size, 3.5, self.text(caption), align="L",
                            new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.pdf.set_text_color(0, 0, 0)
        return x0 + size

    def _scale_bar(self, x: float, y: float, scale: float, size: float) -> None:
        metres = next((m for m in (1000, 500, 200, 100, 50, 20, 10, 5)
                       if m * scale <= size / 2), 5)
        length = metres * scale
        self.pdf.set_line_width(0.5)
        self.pdf.line(x, y, x + length, y)
        self.pdf.set_line_width(0.2)
        self.pdf.set_xy(x + length + 1, y - 2)
        self.pdf.set_font(self.family, "", 7)
        self.pdf.cell(20, 4, f"{metres} m   (north up)")

    def licences(self, lines: Sequence[str] = _texts.LICENCES,
                 borough: str | None = None) -> None:
        """The data and licence lines (the shipped ones by default), the borough when given
        and the data label."""
        self.section("Data and licences")
        if borough:
            self.paragraph(f"Borough: {borough}.", size=8)
        for line in lines:
            self.paragraph(line, size=8)
        self.paragraph(f"Data: {self.data_label}.", size=8)

    def output(self) -> bytes:
        return bytes(self.pdf.output())

    def _line(self, text: str, size: float, height: float, bold: bool = False) -> None:
        self.pdf.set_font(self.family, "B" if bold else "", size)
        self.pdf.multi_cell(0, height, self.text(text), align="L",
                            new_x=XPos.LMARGIN, new_y=YPos.NEXT)
