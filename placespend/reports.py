"""Officer exports for one estate: an XLSX workbook and a printable PDF summary.

Both are built from the same store queries as the CSV export (``reads.estate_rows``,
``reads.estate_totals``, ``reads.source_lines``), so every figure equals the CSV and the
store to the penny. Amounts are written from integer pence as exact decimals; in the workbook
they are numbers formatted as pounds, and every text cell is a plain string (never a formula),
so a payee such as ``=HYPERLINK(...)`` shows as text. Redacted payees stay ``REDACTED``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import duckdb
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from shapely import wkb

from placespend import __version__, _texts, capital, export, geography, money, reads
from placespend._pdf import Document
from placespend._sql import query
from placespend.errors import PlacespendError
from placespend.key_errors import key_sentence, stands_for
from placespend.keys import KEYS
from placespend.money import SPREADSHEET_FORMAT
from placespend.reconcile import reconcile
from placespend.store import read_build_info

SHEETS = ("summary", "by service", "source lines", "method", "reconciliation",
          "capital and services")
PRIORITIES_SHEET = "priorities"  # added after SHEETS when residents' priorities are kept
_BOLD = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="E1E1E1")
_DEMO_FILL = PatternFill("solid", fgColor="FFEC99")

SOURCE_LINE_COLUMNS = {
    "source_file": "source_file",
    "source_row": "source_row",
    "transaction_id": "transaction_id",
    "payment_date": "payment_date",
    "financial_year": "financial_year",
    "payee": "payee",
    "purpose": "purpose",
    "org_unit": "org_unit",
    "service_id": "service_id",
    "basis": "basis",
    "scope_type": "scope_type",
    "scope_code": "scope_code",
    "contract_id": "contract_id",
    "key": "key",
    "line_pence": "line_gbp",
    "estate_pence": "estate_share_gbp",
}
RECONCILIATION_COLUMNS = {
    "group_id": "group_id",
    "financial_year": "financial_year",
    "service_id": "service_id",
    "service": "service",
    "basis": "basis",
    "scope_type": "scope_type",
    "scope_code": "scope_code",
    "key": "key",
    "is_main_key": "is_main_key",
    "input_pence": "input_gbp",
    "estates_pence": "estates_gbp",
    "residual_pence": "residual_gbp",
    "difference_pence": "difference_gbp",
    "this_estate_pence": "this_estate_gbp",
}


def estate_xlsx(
    con: duckdb.DuckDBPyConnection, estate_id: str, financial_year: str | None
) -> bytes:
    """An officer's workbook for one estate and year (``None`` = every year, summed).

    Sheets: ``summary`` (totals, range, households, provenance, data label), ``by service``
    (the CSV export's rows and columns), ``source lines`` (every payment line behind the
    figures, payee as published), ``method`` (caveats, the four steps, the measured error of
    each key used, licences) and ``reconciliation`` (the build's conservation figures and
    every group reaching the estate, checked under each key) and ``capital and services``
    (capital and revenue by year, every year, beside the linked services per home here and on
    the estates like it, the reading, and the capital programme's schemes).

    When residents' priorities for the estate are kept with the data set
    (:class:`placespend.priorities.PriorityBook`), a ``priorities`` sheet follows: each
    priority beside the share of the estate's spend it gets, and the gaps in words.

    Raises
    ------
    PlacespendError
        For an unknown estate.
    """
    facts = _Facts.load(con, estate_id, financial_year)
    book = Workbook(write_only=True)
    _summary_sheet(book.create_sheet("summary"), facts)
    _by_service_sheet(book.create_sheet("by service"), facts)
    _source_lines_sheet(
        book.create_sheet("source lines"), reads.source_lines(con, estate_id, None,
                                                               financial_year)
    )
    _method_sheet(book.create_sheet("method"), facts, con)
    _reconciliation_sheet(book.create_sheet("reconciliation"), facts, con)
    _capital_sheet(book.create_sheet("capital and services"), facts, con)
    priorities = _priorities(con, facts)
    if priorities is not None:
        _priorities_sheet(book.create_sheet(PRIORITIES_SHEET), priorities)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def estate_pdf(
    con: duckdb.DuckDBPyConnection, estate_id: str, financial_year: str | None
) -> bytes:
    """A printable A4 summary of one estate: outline, totals, spend by service, method note,
    reconciliation and data licences.

    Raises
    ------
    PlacespendError
        For an unknown estate.
    """
    facts = _Facts.load(con, estate_id, financial_year)
    doc = Document(f"Spend on {facts.name}", facts.label, is_demo=facts.is_demo)
    doc.heading(facts.name)
    doc.subheading(f"Council spend on the estate, {facts.year_text}")
    doc.banner()
    top = doc.pdf.get_y()
    right = doc.outline(facts.geometry, 55, _boundary_caption(facts))
    bottom = doc.pdf.get_y()
    doc.pdf.set_y(top)
    doc.key_values(_figures(facts), width=doc.width - 60, x=right + 5)
    doc.pdf.set_y(max(bottom, doc.pdf.get_y()) + 2)
    doc.section("Spend by service")
    doc.table(*_service_table(facts), size=7.5)
    priorities = _priorities(con, facts)
    if priorities is not None:
        _priorities_section(doc, priorities)
    doc.section("How the figures were made")
    for line in (*_texts.PLAIN_METHOD, *_accuracy_caveat(facts)):
        doc.paragraph(line, size=8)
    doc.section("Checked to the penny")
    doc.paragraph(_reconciliation_sentence(con, facts), size=8)
    doc.licences(facts.licences, facts.geo.borough_label)
    return doc.output()


# ---- the facts both exports show --------------------------------------------------------------


class _Facts:
    """One estate's figures for a year, read once."""

    def __init__(self, profile: pd.Series, totals: pd.Series, rows: pd.DataFrame,
                 financial_year: str | None, label: str, is_demo: bool,
                 geo: geography.Geography | None = None) -> None:
        self.geo = geo or geography.Geography()
        self.licences = geography.licence_lines(self.geo)
        self.profile = profile
        self.totals = totals
        self.rows = rows
        self.financial_year = financial_year
        self.label = label
        self.is_demo = is_demo
        self.ward_names: dict[str, str] = {}

    @classmethod
    def load(cls, con, estate_id: str, financial_year: str | None) -> _Facts:
        found = query(con, "estate_profile", estate_id=estate_id)
        if found.empty:
            msg = f"No estate with id '{estate_id}'. Run `placespend estates` to list them."
            raise PlacespendError(msg)
        totals = reads.estate_totals(con, financial_year)
        rows = reads.estate_rows(con, estate_id, financial_year)
        facts = cls(found.iloc[0], totals[totals["estate_id"] == estate_id].iloc[0], rows,
                    financial_year, reads.data_label(con), reads.is_demo(con),
                    geography.read(con))
        facts.ward_names = reads.ward_names(con)
        return facts

    @property
    def estate_id(self) -> str:
        return str(self.profile["estate_id"])

    @property
    def name(self) -> str:
        return str(self.profile["estate_name"])

    @property
    def year_text(self) -> str:
        if self.financial_year:
            return f"financial year {self.financial_year}"
        return "all financial years in the store, summed"

    @property
    def geometry(self):
        return wkb.loads(bytes(self.profile["geometry_wkb"]))

    def pence(self, name: str) -> int:
        return int(self.totals[f"{name}_pence"])


def _number(value: Any, digits: int = 1) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), digits)


def _figures(facts: _Facts) -> list[tuple[str, str]]:
    per_home = facts.totals["per_household_pence"]
    households = _number(facts.profile["households_est"])
    return [
        ("Total (central estimate)", money.exact(facts.pence("total"))),
        ("Range (low to high)",
         f"{money.exact(facts.pence('low'))} to {money.exact(facts.pence('high'))}"),
        ("Direct (estate contracts)", money.exact(facts.pence("direct"))),
        ("Delegable services", money.exact(facts.pence("delegable"))),
        ("Households (estimated)", "-" if households is None else f"{households:,.0f}"),
        ("Per household", "-" if pd.isna(per_home) else money.exact(round(float(per_home)))),
        ("Wards", reads.wards_text(facts.profile["ward_codes"], facts.ward_names) or "-"),
        ("Estate id", facts.estate_id),
    ]


def _boundary_caption(facts: _Facts) -> str:
    source = str(facts.profile["source"])
    if source == "derived_from_blocks":
        return ("Boundary derived by placespend from homes (OpenStreetMap building footprints) "
                "and 2011 census tenure: not an official estate boundary.")
    if source == "osm":
        return "Boundary from OpenStreetMap."
    return f"Boundary: {source}."


def _service_table(
    facts: _Facts,
) -> tuple[list[str], list[list[Any]], list[int], list[str]]:
    all_years = facts.financial_year is None
    headings = (["Year"] if all_years else []) + ["Service", "How it got here", "Shared by",
                                                  "Amount", "Low", "High"]
    rows = []
    for r in facts.rows.itertuples():
        cells = [r.service, _BASIS_WORDS.get(r.basis, r.basis),
                 "-" if r.basis == "direct" else _key_words(r.key), money.exact(r.amount_pence),
                 money.exact(r.low_pence),
                 money.exact(r.high_pence)]
        rows.append(([r.financial_year] if all_years else []) + cells)
    total = ["Total", "", "", money.exact(facts.pence("total")), money.exact(facts.pence("low")),
             money.exact(facts.pence("high"))]
    rows.append(([""] if all_years else []) + total)
    widths = [16, 40, 24, 28, 24, 24, 24] if all_years else [46, 26, 36, 24, 24, 24]
    align = ["LEFT"] * (len(headings) - 3) + ["RIGHT"] * 3
    return headings, rows, widths, align


_BASIS_WORDS = {
    "direct": "the estate's own contract",
    "apportioned (borough)": "shared out, borough-wide",
    "apportioned (ward)": "shared out, ward-wide",
}


def _key_words(key: object) -> str:
    """A key as words for the PDF: 'Households (2011 Census)', not 'households'."""
    if key is None or (not isinstance(key, str) and pd.isna(key)) or not key:
        return "-"
    return KEYS[key].label if key in KEYS else str(key).replace("_", " ")


def _reconciliation_sentence(con, facts: _Facts) -> str:
    """The build's conservation check and this estate's, in plain words (the PDF's)."""
    r = reconcile(con)
    groups = query(con, "estate_reconciliation", estate_id=facts.estate_id,
                   financial_year=facts.financial_year)
    off = int((groups["difference_pence"] != 0).sum())
    status = ("each of them adds up to the penny" if off == 0
              else f"{off} of those checks do NOT add up: rebuild and report it")
    return (
        f"Of the {money.exact(r.input_pence)} of spend accepted from the council's files, "
        f"{money.exact(r.estates_pence)} was placed on estates, "
        f"{money.exact(r.residual_pence)} in the rest of the wards and "
        f"{money.exact(r.excluded_pence)} left out as not spent on a place: a difference of "
        f"{money.exact(r.difference_pence)}. {groups['group_id'].nunique():,} groups "
        f"of payments reach this estate, checked {len(groups):,} times (under each measure "
        f"tried): {status}. Of {r.rows_read:,} spend rows read, {r.rows_accepted:,} were "
        f"accepted and {r.rows_quarantined:,} set aside with their reasons."
    )


# ---- workbook sheets --------------------------------------------------------------------------


def _value(ws: WriteOnlyWorksheet, value: object) -> object:
    """A value for a bulk row: text is kept as a plain string (never a formula, no control
    characters Excel refuses), missing values are empty, anything else as it is."""
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        if text.startswith("="):  # openpyxl would store "=..." as a formula
            cell = WriteOnlyCell(ws, value=text)
            cell.data_type = "s"
            return cell
        return text
    if value is None or (not isinstance(value, Decimal | bool) and pd.isna(value)):
        return None
    return value


def _cell(ws: WriteOnlyWorksheet, value: object, *, money: bool = False, bold: bool = False,
          fill: PatternFill | None = None, wrap: bool = False) -> Cell:
    """A styled cell; text is always a plain string, never a formula."""
    value = _value(ws, value)
    cell = value if isinstance(value, Cell) else WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
    if money:
        cell.number_format = SPREADSHEET_FORMAT
    if bold:
        cell.font = _BOLD
    if fill is not None:
        cell.fill = fill
    if wrap:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def _header(ws: WriteOnlyWorksheet, names: Iterable[str]) -> None:
    ws.append([_cell(ws, n, bold=True, fill=_HEAD_FILL) for n in names])


def _widths(ws: WriteOnlyWorksheet, widths: Sequence[float]) -> None:
    for i, width in enumerate(widths):
        ws.column_dimensions[_column_letter(i)].width = width


def _column_letter(i: int) -> str:
    return get_column_letter(i + 1)


def _summary_sheet(ws: WriteOnlyWorksheet, facts: _Facts) -> None:
    _widths(ws, (34, 60))
    ws.freeze_panes = "A2"
    _header(ws, ("figure", "value"))
    if facts.is_demo:
        ws.append([_cell(ws, "data", bold=True, fill=_DEMO_FILL),
                   _cell(ws, facts.label, bold=True, fill=_DEMO_FILL)])
    else:
        ws.append([_cell(ws, "data"), _cell(ws, facts.label)])
    p = facts.profile
    amounts = [("total_gbp", "total"), ("low_gbp", "low"), ("high_gbp", "high"),
               ("direct_gbp", "direct"), ("delegable_gbp", "delegable")]
    rows: list[tuple[str, object, bool]] = [
        ("estate_id", facts.estate_id, False),
        ("estate_name", facts.name, False),
        ("borough_code", facts.geo.borough_code, False),
        ("borough_name", facts.geo.borough_name, False),
        ("financial_year", facts.financial_year or "all years", False),
        *((label, money.decimal(facts.pence(name)), True) for label, name in amounts),
        ("per_household_gbp", money.decimal(_round_or_none(facts.totals["per_household_pence"])),
         True),
        ("households_est", _number(p["households_est"]), False),
        ("council_households_est", _number(p["council_households_est"]), False),
        ("residents_est", _number(p["residents_est"]), False),
        ("area_m2", _number(p["area_m2"], 0), False),
        ("ward_codes", p["ward_codes"], False),
        ("ward_names", reads.ward_names_of(p["ward_codes"], facts.ward_names), False),
        ("boundary_source", p["source"], False),
        ("boundary_note", p["boundary_note"], False),
        ("osm_ref", p["osm_ref"], False),
        ("placespend_version", __version__, False),
    ]
    for label, value, is_money in rows:
        ws.append([_cell(ws, label), _cell(ws, value, money=is_money, wrap=True)])
    for i, caveat in enumerate(_texts.CAVEATS, start=1):
        ws.append([_cell(ws, f"caveat {i}"), _cell(ws, caveat, wrap=True)])
    for i, line in enumerate(facts.licences, start=1):
        ws.append([_cell(ws, f"licence {i}"), _cell(ws, line, wrap=True)])


def _round_or_none(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else round(float(value))


def _by_service_sheet(ws: WriteOnlyWorksheet, facts: _Facts) -> None:
    columns = [*export.EXPORT_COLUMNS, "data", *export.BOROUGH_COLUMNS]
    _widths(ws, (18, 28, 12, 40, 30, 10, 12, 22, 20, 14, 14, 14, 18, 18, 40))
    ws.freeze_panes = "A2"
    _header(ws, columns)
    for r in facts.rows.itertuples():
        values = [r.estate_id, r.estate_name, r.financial_year, r.service, r.mission_outcome,
                  bool(r.delegable), r.capital_or_revenue, r.basis, r.key]
        cells = [_cell(ws, v) for v in values]
        cells += [_cell(ws, money.decimal(v), money=True)
                  for v in (r.amount_pence, r.low_pence, r.high_pence, r.alt_low_pence,
                            r.alt_high_pence)]
        cells += [_cell(ws, v) for v in (facts.label, facts.geo.borough_code,
                                         facts.geo.borough_name)]
        ws.append(cells)


def _capital_sheet(ws: WriteOnlyWorksheet, facts: _Facts, con) -> None:
    view = capital.capital_view(con, facts.estate_id)
    _widths(ws, (16, 16, 16, 18, 18, 22, 22, 30))
    ws.append([_cell(ws, f"{facts.name}: capital and the services it should reduce (every "
                         f"year; {facts.label})", bold=True)])
    ws.append([_cell(ws, view.reading, wrap=True)])
    ws.append([_cell(ws, "Linked services: " + ", ".join(view.linked_services))])
    ws.append([])
    _header(ws, ["financial_year", "capital_gbp", "revenue_gbp", "linked_services_gbp",
                 "linked_per_home_gbp", "like_estates_capital_per_home_gbp",
                 "like_estates_linked_per_home_gbp"])
    for r in view.by_year.itertuples():
        ws.append([_cell(ws, r.financial_year)] + [
            _cell(ws, money.decimal(v), money=True)
            for v in (r.capital_pence, r.revenue_pence, r.linked_pence)] + [
            _cell(ws, _number(v / 100, 2), money=True)
            for v in (r.linked_per_home_pence, r.peers_capital_per_home_pence,
                      r.peers_linked_per_home_pence)])
    schemes = capital.programme(con, facts.estate_id)
    ws.append([])
    ws.append([_cell(ws, "Capital programme" + (" (SYNTHETIC DEMO)" if len(schemes) and
                                               schemes["synthetic"].any() else ""), bold=True)])
    _header(ws, ["scheme", "blocks", "start_year", "end_year", "budget_gbp"])
    for r in schemes.itertuples():
        ws.append([_cell(ws, v) for v in (r.scheme, r.blocks, r.start_year, r.end_year)]
                  + [_cell(ws, money.decimal(r.budget_pence), money=True)])
    ws.append([])
    ws.append([_cell(ws, "Estates like it (by size and council stock)", bold=True)])
    _header(ws, ["estate_id", "estate_name", "households", "council_share"])
    for r in view.peers.itertuples():
        ws.append([_cell(ws, v) for v in (r.estate_id, r.name, _number(r.households, 0),
                                          _number(r.council_share, 3))])


def _source_lines_sheet(ws: WriteOnlyWorksheet, lines: pd.DataFrame) -> None:
    _widths(ws, (30, 10, 16, 12, 10, 34, 30, 22, 22, 12, 10, 12, 12, 18, 14, 16))
    ws.freeze_panes = "A2"
    _header(ws, SOURCE_LINE_COLUMNS.values())
    frame = lines[list(SOURCE_LINE_COLUMNS)]
    # Plain values, unstyled: a styled cell costs ~3x as much and there are ~20k lines a year.
    for values in frame.itertuples(index=False, name=None):
        *text, line_pence, share_pence = values
        row = [_value(ws, _plain(v)) for v in text]
        row.append(money.decimal(line_pence))
        row.append(money.decimal(share_pence))
        ws.append(row)


def _plain(value: object) -> object:
    """Dates as ISO text, numpy scalars as Python ones, missing as empty."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    if hasattr(value, "item"):
        return value.item()
    return value


def _method_sheet(ws: WriteOnlyWorksheet, facts: _Facts, con) -> None:
    _widths(ws, (22, 110))
    _header(ws, ("topic", "note"))
    notes: list[tuple[str, str]] = [("data", facts.label)]
    notes += [(f"caveat {i}", c) for i, c in enumerate(_texts.CAVEATS, start=1)]
    notes += [("accuracy", c) for c in _accuracy_caveat(facts)]
    notes += [(f"step {i}", m) for i, m in enumerate(_texts.METHOD, start=1)]
    notes += [
        ("basis", "direct = paid under this estate's own contract; apportioned (borough) / "
                  "apportioned (ward) = shared out from a borough- or ward-wide group."),
        ("key", "what the group was shared out by (see docs/METHOD.md); low and high are the "
                "calibrated interval; the service's alternative keys give the figures with "
                "another key, a sensitivity shown apart from it."),
        ("source lines", "every payment line in a group reaching the estate, payee as "
                         "published (REDACTED stays REDACTED). estate_share_gbp = the line's "
                         "part of its group's pence on the estate, in whole pence, shared in "
                         "proportion to the lines (in file order, each rounded so that the "
                         "running total is right): the lines of a service add up exactly to "
                         "its figure on 'by service'."),
    ]
    notes += [(f"key {k}", s) for k, s in _key_sentences(con, facts.rows,
                                                          geography.measured_here(facts.geo))]
    notes += [(f"licence {i}", line) for i, line in enumerate(facts.licences, start=1)]
    info = read_build_info(con)
    notes.append(("build", f"placespend {info.get('placespend_version')}, built "
                           f"{info.get('built_at')}"))
    for topic, note in notes:
        ws.append([_cell(ws, topic, bold=True), _cell(ws, note, wrap=True)])


def _accuracy_caveat(facts: _Facts) -> tuple[str, ...]:
    """Says the errors were not measured here, on another council's geography."""
    return () if geography.measured_here(facts.geo) else (geography.NOT_MEASURED,)


def _key_sentences(con, rows: pd.DataFrame, measured: bool = True) -> list[tuple[str, str]]:
    """What census truth says of each key used, scored against what it stands for there.

    A key serving services that follow different counts gets one sentence per count. With
    ``measured`` false (another council's geography) no Camden error is quoted.
    """
    errors = query(con, "key_errors")
    keys = con.sql("select service_id, key, is_main from service_keys").df()
    main = keys[keys["is_main"]].set_index("service_id")["key"]
    alts = keys[~keys["is_main"]].groupby("service_id")["key"].agg(tuple)
    pairs: dict[tuple[str, Any], list[str]] = {}
    for service_id, key in rows[["service_id", "key"]].itertuples(index=False, name=None):
        if key and service_id in main.index:
            q = stands_for(main[service_id], alts.get(service_id, ()))
            pairs.setdefault((key, q), []).append(service_id)
    out = []
    for (key, q), services in sorted(pairs.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        try:
            text = key_sentence(key, q, "estate", errors=errors, measured=measured)
        except PlacespendError:
            text = f"key {key} is not measured by the census self-test for {q}."
        out.append((key, f"{text} Used for: {', '.join(sorted(set(services)))}."))
    return out


def _reconciliation_sheet(ws: WriteOnlyWorksheet, facts: _Facts, con) -> None:
    _widths(ws, (26, 14, 22, 34, 12, 11, 12, 20, 11, 16, 16, 16, 14, 16))
    r = reconcile(con)
    _header(ws, ("whole build", "value"))
    counts = [("rows_read", r.rows_read), ("rows_accepted", r.rows_accepted),
              ("rows_quarantined", r.rows_quarantined), ("groups_checked", r.groups_checked),
              ("groups_mismatched", r.groups_mismatched)]
    sums = [("accepted_gbp", r.input_pence), ("estates_gbp", r.estates_pence),
            ("residual_gbp", r.residual_pence), ("excluded_gbp", r.excluded_pence),
            ("difference_gbp", r.difference_pence), ("quarantined_gbp", r.quarantined_pence)]
    for label, value in counts:
        ws.append([_cell(ws, label), _cell(ws, value)])
    for label, pence in sums:
        ws.append([_cell(ws, label), _cell(ws, money.decimal(pence), money=True)])
    ws.append([_cell(ws, "ok"), _cell(ws, r.ok)])
    ws.append([])
    groups = query(con, "estate_reconciliation", estate_id=facts.estate_id,
                   financial_year=facts.financial_year)
    _header(ws, RECONCILIATION_COLUMNS.values())
    for values in groups[list(RECONCILIATION_COLUMNS)].itertuples(index=False, name=None):
        text, amounts = values[:9], values[9:]
        cells = [_cell(ws, _plain(v)) for v in text]
        cells += [_cell(ws, money.decimal(v), money=True) for v in amounts]
        ws.append(cells)


# ---- residents' priorities (placespend.priorities) ---------------------------------------------


def _priorities(con, facts: _Facts):
    """The estate's kept priorities beside its spend, or ``None`` when none are kept."""
    from placespend import priorities as prio

    found = prio.PriorityBook.of(con).load(con)
    if found.for_estate(facts.estate_id).rows.empty:
        return None
    return prio.compare(con, found, facts.estate_id, facts.financial_year)


def _priorities_sheet(ws: WriteOnlyWorksheet, comparison) -> None:
    from placespend import priorities as prio

    table = prio.display(comparison.table)
    _widths(ws, (14, 40, 10, 14, 12, 16, 16, 60, 40, 12, 22))
    ws.freeze_panes = "A2"
    if comparison.synthetic:
        ws.append([_cell(ws, prio.SYNTHETIC, bold=True, fill=_DEMO_FILL),
                   _cell(ws, "these residents' priorities are made up", bold=True,
                         fill=_DEMO_FILL)])
    _header(ws, table.columns)
    for values in table.itertuples(index=False, name=None):
        ws.append([_cell(ws, _plain(v)) for v in values])
    for gap in comparison.gaps:
        ws.append([_cell(ws, "gap"), _cell(ws, gap, wrap=True)])


def _priorities_section(doc: Document, comparison) -> None:
    from placespend import priorities as prio

    doc.section("Residents' priorities beside the spend")
    if comparison.synthetic:
        doc.paragraph(f"{prio.SYNTHETIC}: these residents' priorities are made up.", size=8)
    for gap in comparison.gaps:
        doc.paragraph(gap, size=8)
    rows = [[str(r.rank), r.priority, r.said, f"{r.source} ({r.date})"]
            for r in comparison.table.itertuples()]
    doc.table(["Rank", "Priority", "In words", "Source"], rows, widths=(12, 50, 70, 48),
              align=("RIGHT", "LEFT", "LEFT", "LEFT"), size=7.5)
