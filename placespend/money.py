"""Every way placespend writes an amount of money, from integer pence.

Amounts are integer pence everywhere inside placespend; this module is the one place they
become text for people or files (``123456789`` pence as each writes it):

- :func:`gbp` ``1234567.89``: files (CSV, JSON, the pot's briefs), exact;
- :func:`pounds_number` ``1234567.89`` as a float: GeoJSON and ``--format json`` numbers;
- :func:`decimal` ``Decimal("1234567.89")``: spreadsheet cells (``SPREADSHEET_FORMAT``);
- :func:`number` ``1,234,567.89``: command-line tables whose column heading says £;
- :func:`exact` ``£1,234,567.89``: headline figures, PDFs, messages (:func:`signed`
  ``+£1,234,567.89`` for a change);
- :func:`whole` ``£1,234,568``: sentences where pence are noise;
- :func:`compact` ``£1.23m`` (``£12.3k``, ``£9,950``): tables, labels and charts;
- :func:`rough` ``£1.2m`` (whole pounds under a million): the accuracy report.

A negative amount carries its sign before the pound sign (``-£1.50``); a missing one (None or
NaN) is written as ``missing`` where a function takes it.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

DASH = "–"  # an en dash: a figure that is missing, in tables and labels
#: The number format of a spreadsheet cell holding :func:`decimal` pounds: ``£1,234.56``.
SPREADSHEET_FORMAT = '"£"#,##0.00'


def _missing(pence: object) -> bool:
    return pence is None or bool(pd.isna(pence))


def _signed(pounds_text: str, negative: bool) -> str:
    return f"-£{pounds_text}" if negative else f"£{pounds_text}"


def gbp(pence: int) -> str:
    """Exact pounds-and-pence text for integer pence: ``123456 -> '1234.56'``."""
    return str(Decimal(int(pence)).scaleb(-2).quantize(Decimal("0.01")))


def pounds_number(pence: pd.Series) -> pd.Series:
    """Pence as pounds for JSON (GeoJSON, ``--format json``): floats whose shortest decimal is
    the exact pounds and pence of whole pence (``123456 -> 1234.56``), missing as None.
    Fractional pence (a per-household figure) are rounded to the penny first."""
    rounded = pd.to_numeric(pence, errors="coerce").round(0) / 100
    return rounded.astype(object).where(rounded.notna(), None)


def decimal(pence: object) -> Decimal | None:
    """Exact pounds as a ``Decimal`` (``123456 -> Decimal('1234.56')``); ``None`` if missing."""
    if pence is None or _missing(pence):
        return None
    return Decimal(gbp(int(pence)))  # type: ignore[call-overload]


def number(pence: float | None, missing: str = "") -> str:
    """Pounds and pence with thousands separators, no pound sign: ``123456 -> '1,234.56'``."""
    if pence is None or _missing(pence):
        return missing
    return f"{pence / 100:,.2f}"


def exact(pence: float | None, missing: str = DASH) -> str:
    """Pounds and pence with thousands separators: ``98005997 -> '£980,059.97'``. Fractional
    pence (a per-household figure) are rounded to the penny."""
    if pence is None or _missing(pence):
        return missing
    value = Decimal(gbp(round(pence)))
    return _signed(f"{abs(value):,}", value < 0)


def whole(pence: float | None, missing: str = DASH) -> str:
    """Whole pounds with thousands separators: ``123456 -> '£1,235'``."""
    if pence is None or _missing(pence):
        return missing
    pounds = pence / 100
    return _signed(f"{abs(pounds):,.0f}", pounds < 0 and round(pounds) != 0)


def compact(pence: float | None, missing: str = DASH) -> str:
    """Pounds in at most five figures: ``£950``, ``£9,950``, ``£12.3k``, ``£4.56m``."""
    if pence is None or _missing(pence):
        return missing
    pounds = pence / 100
    size = abs(pounds)
    if size >= 1e6:
        text = f"{size / 1e6:.2f}m"
    elif size >= 1e4:
        text = f"{size / 1e3:.1f}k"
    else:
        text = f"{size:,.0f}"
    return _signed(text, pounds < 0 and text.strip("0.,km") != "")


def rough(pence: float) -> str:
    """Millions to one decimal, else whole pounds: ``£1.2m``, ``£1,234.5m``, ``£950``."""
    pounds = pence / 100
    size = abs(pounds)
    text = f"{size / 1e6:,.1f}m" if size >= 1e6 else f"{size:,.0f}"
    return _signed(text, pounds < 0 and text.strip("0.,m") != "")


def signed(pence: int) -> str:
    """A change, with its sign: ``+£1,234.56``, ``-£1,234.56``, ``£0.00``."""
    return ("+" if pence > 0 else "") + exact(pence)
