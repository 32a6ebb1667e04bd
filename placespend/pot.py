"""Participatory budgeting pots: what an estate spends on the services residents could run.

The Hilgrove estate pilot delegated about £100k a year of caretaking, non-essential repairs and
green space, about a quarter of the estate's spend (UCL IIPP and Camden, "Mission-led
procurement", March 2023). :func:`size_pot` sizes such a pot for any estate and year from the
store; :func:`pot_brief_csv`, :func:`pot_brief_json` and :func:`pot_brief_pdf` write the brief
a PB facilitator takes into a meeting or loads into a participation platform.

Platform mapping (also written into every JSON brief under ``"schema"``)
------------------------------------------------------------------------
Decidim 0.28, budgets component (``Decidim::Budgets``), one budget per scope (the fields of
its budget form and of ``Decidim::Budgets::ProjectSerializer``, the projects export):

- ``budget.title``/``description`` (translatable, ``{"en": ...}``; description is rich text,
  so names are HTML-escaped inside ``<p>``), ``budget.total_budget`` = the pot in whole
  pounds (integer), ``budget.weight`` 0, ``budget.scope`` = the estate (``code`` = estate
  id, ``name``);
- ``projects[]`` = the pot's lines: ``title``, ``description``, ``budget_amount`` in whole
  pounds (integer). Decidim wants a positive ``budget_amount``: lines under £1 are left out
  of ``projects`` (they stay in ``lines``).

CONSUL Democracy 2.x (``Budget`` -> ``Budget::Group`` -> ``Budget::Heading``; its GraphQL
API is read-only, so an administrator enters these):

- ``budget.name``, ``currency_symbol`` "£"; one group "Estates" holding one ``heading`` per
  estate with ``name``, ``price`` = the pot in whole pounds (integer) and ``population`` =
  the estate's residents (2011 Census, split by residential footprint; whole people, or
  ``null`` when unknown, as CONSUL wants a positive number or none);
- ``investments[]`` = the pot's lines with ``title`` (cut to CONSUL's 80 characters),
  ``description``, ``price`` in whole pounds (integer) and ``heading`` = the heading's name
  (lines under £1 left out).

Whole pounds are rounded so the lines add up to the total exactly (the total is rounded half
up, the lines by largest remainder); the exact pounds and pence are kept alongside every
integer as ``*_gbp`` text (``"1234.56"``). Every brief carries the data label (``SYNTHETIC
DEMO DATA`` for the demo store) and the method caveats.

The CSV brief has one ``budget`` row, then one ``project`` row per line: ``record_type``,
``scope_code`` (estate id; Decidim scope / CONSUL heading), ``scope_name``,
``financial_year``, ``service_id``, ``title``, ``amount_whole_gbp`` (Decidim
``total_budget`` / ``budget_amount``, CONSUL heading and investment ``price``),
``amount_gbp``, ``low_gbp``, ``high_gbp`` (exact), ``share_of_estate``, ``households_est``,
``per_household_gbp``, ``previous_year``, ``previous_year_gbp``, ``data``, ``caveats``.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import duckdb
import pandas as pd

from placespend import _texts, geography, intervals, money
from placespend._pdf import Document
from placespend._sql import query
from placespend._texts import DEMO_LABEL
from placespend.errors import PlacespendError
from placespend.export import csv_bytes
from placespend.reads import data_label, financial_years, latest_year

SCHEMA_NAME = "placespend.pot_brief"
CONSUL_TITLE_MAX = 80  # Budget::Investment's title length limit
SCHEMA_VERSION = 1

LINE_COLUMNS = ["service_id", "service", "amount_pence", "low_pence", "high_pence",
                "alt_low_pence", "alt_high_pence", "error_group"]


@dataclass(frozen=True, eq=False)
class Pot:
    """A participatory budgeting pot for one estate and year (amounts in integer pence).

    ``share = total_pence / estate_total_pence`` (0 when the estate has no spend);
    ``per_household_pence = round(total_pence / households_est)`` (``None`` without
    households); ``low_pence``/``high_pence`` combine the lines' calibrated intervals
    (:func:`placespend.intervals.combine`: errors of one count add, counts in quadrature).
    """

    estate_id: str
    estate_name: str
    financial_year: str
    lines: pd.DataFrame  # service_id, service, amount_pence, low_pence, high_pence
    total_pence: int
    low_pence: int
    high_pence: int
    estate_total_pence: int
    share: float
    households_est: float | None
    per_household_pence: int | None
    previous_year_total_pence: int | None
    data_label: str
    previous_financial_year: str | None = None
    residents_est: float | None = None
    estate_services_pence: int = 0
    licences: tuple[str, ...] = _texts.LICENCES  # of the layers the store was built on

    @property
    def estate_services_share(self) -> float:
        """The pot over the estate-services spend (0 when there is none)."""
        denominator = self.estate_services_pence
        return self.total_pence / denominator if denominator else 0.0

    @property
    def is_demo(self) -> bool:
        """Whether the figures come from the synthetic demo spend."""
        return self.data_label == DEMO_LABEL

    @property
    def change_share(self) -> float | None:
        """Change on the previous year as a fraction (``None`` without a previous figure)."""
        before = self.previous_year_total_pence
        if not before:
            return None
        return (self.total_pence - before) / abs(before)


def delegable_services(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Service ids the catalogue marks delegable (pre-ticked when sizing a pot), by name."""
    return query(con, "delegable_services")["service_id"].tolist()


def size_pot(
    con: duckdb.DuckDBPyConnection,
    estate_id: str,
    financial_year: str | None,
    service_ids: list[str],
) -> Pot:
    """Size the pot: the chosen services' spend on the estate in the year.

    Parameters
    ----------
    con
        A built store.
    estate_id
        An estate id (see :func:`placespend.reads.resolve_estate` for names).
    financial_year
        UK financial year such as ``"2024-25"``; ``None`` for the latest in the store.
    service_ids
        Catalogue service ids; :func:`delegable_services` gives the usual choice.

    Returns
    -------
    Pot
        Lines per service (services with no spend here show 0), total with low-high, share of
        the estate's total, per household, and the same services in the previous year when the
        store has it.

    Raises
    ------
    PlacespendError
        For an unknown estate, year or service id.

    Notes
    -----
    ``total = Σ_s Σ_rows place_spend.amount_pence`` over ``target_type = 'estate'``, the
    estate, the year and the chosen services ``s``: the same rows as
    :func:`placespend.reads.estate_rows`, so the pot equals the export to the penny.
    """
    years = financial_years(con)
    year = financial_year or latest_year(con)
    if year not in years:
        msg = f"No spend for financial year '{year}'. The store has: {', '.join(years)}."
        raise PlacespendError(msg)
    profile = _profile(con, estate_id)
    chosen = list(dict.fromkeys(service_ids))
    lines = _lines(con, estate_id, year, chosen)
    total = int(lines["amount_pence"].sum())
    combined = intervals.combine(lines)  # the services' errors need not all go one way
    estate_total = _estate_total(con, estate_id, year)
    households = _number(profile["households_est"])
    previous = _previous_year(year)
    previous_total = None
    if previous in years:
        previous_lines = _lines(con, estate_id, previous, chosen)
        previous_total = int(previous_lines["amount_pence"].sum())
    return Pot(
        estate_id=estate_id,
        estate_name=str(profile["estate_name"]),
        financial_year=year,
        lines=lines,
        total_pence=total,
        low_pence=combined[0],
        high_pence=combined[1],
        estate_total_pence=estate_total,
        share=total / estate_total if estate_total else 0.0,
        households_est=households,
        per_household_pence=round(total / households) if households else None,
        previous_year_total_pence=previous_total,
        data_label=data_label(con),
        licences=geography.licence_lines(geography.read(con)),
        previous_financial_year=previous if previous in years else None,
        residents_est=_number(profile["residents_est"]),
        estate_services_pence=_services_total(
            con, estate_id, year, estate_service_ids(con)),
    )


# ---- the pilot's terms ------------------------------------------------------------------------


def service_attributes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Each service's PB attributes: ``service_id``, ``service``, ``directorate``,
    ``estate_service`` (bool), ``unit`` and ``unit_cost_pence`` (``None`` where not given).

    A store built before the catalogue carried these fields takes them from the shipped
    catalogue, matched by service id.
    """
    frame = query(con, "service_attributes")
    wanted = ["estate_service", "unit", "unit_cost_pence"]
    if not set(wanted) <= set(frame.columns):
        from placespend.catalogue import load_catalogue

        shipped = {s.id: s for s in load_catalogue().services}
        for col in wanted:
            frame[col] = [getattr(shipped.get(sid), col, None) for sid in frame["service_id"]]
    frame["estate_service"] = frame["estate_service"].fillna(False).astype(bool)
    frame["unit_cost_pence"] = pd.Series(
        [None if pd.isna(v) else int(v) for v in frame["unit_cost_pence"]], dtype=object)
    frame["unit"] = pd.Series([None if pd.isna(v) else str(v) for v in frame["unit"]],
                              dtype=object)
    out = frame.rename(columns={"name": "service"})
    return out[["service_id", "service", "directorate", *wanted]].reset_index(drop=True)


def estate_service_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The landlord services of the Housing directorate (catalogue ``estate_service``)."""
    attrs = service_attributes(con)
    return attrs.loc[attrs["estate_service"], "service_id"].tolist()


@dataclass(frozen=True)
class PilotReference:
    """The Hilgrove pilot's published lines beside the tool's, and why they differ.

    ``table``: ``pilot_line``, ``pilot_pence`` (a year), ``service_id``, ``service``,
    ``tool_pence`` (the same service on the chosen estate and year); ``notes``: plain
    sentences on the differences (boundary, spend, key, denominator); ``source``.
    """

    table: pd.DataFrame
    notes: tuple[str, ...]
    source: str = _texts.HILGROVE_SOURCE

    @property
    def pilot_total_pence(self) -> int:
        return int(self.table["pilot_pence"].sum())

    @property
    def tool_total_pence(self) -> int:
        return int(self.table["tool_pence"].sum())


def pilot_reference(con: duckdb.DuckDBPyConnection, sized: Pot) -> PilotReference:
    """The pilot's lines (``_texts.HILGROVE_LINES``) beside the same services on ``sized``'s
    estate and year, with the reasons the figures differ, in words."""
    ids = [sid for sid, _, _ in _texts.HILGROVE_LINES]
    tool = _lines(con, sized.estate_id, sized.financial_year, ids).set_index("service_id")
    table = pd.DataFrame(
        {
            "pilot_line": [words for _, words, _ in _texts.HILGROVE_LINES],
            "pilot_pence": [pounds * 100 for _, _, pounds in _texts.HILGROVE_LINES],
            "service_id": ids,
            "service": [str(tool.loc[sid, "service"]) for sid in ids],
            "tool_pence": [int(tool.loc[sid, "amount_pence"]) for sid in ids],
        }
    )
    profile = _profile(con, sized.estate_id)
    return PilotReference(table=table, notes=_reference_notes(sized, profile, table))


def _reference_notes(sized: Pot, profile: pd.Series, table: pd.DataFrame) -> tuple[str, ...]:
    from placespend.maps import source_label

    boundary = source_label(str(profile["source"]))
    households = _count(sized.households_est)
    spend = (
        "The spend here is synthetic demo data in Camden's format, not Camden's ledger, so no "
        "figure here can match a real budget."
        if sized.is_demo
        else f"The spend here is {sized.data_label}; the pilot's lines are Camden's own budgets."
    )
    tool_total = money.exact(int(table["tool_pence"].sum()))
    return (
        f"Boundary: the tool's estate is {sized.estate_name} ({boundary}, about {households} "
        "households); the pilot's was Camden's own Hilgrove estate, whose outline the tool "
        "does not have exactly.",
        spend,
        "Key: the tool shares borough- and ward-wide spend out to the estate by a key "
        "(caretaking and repairs by council households, green space by its area); the pilot's "
        "lines are budgets set for the estate itself.",
        f"Denominator: the pilot's 'about a quarter' is of the estate-services budget. Here "
        f"the pot is {sized.share:.1%} of all place-based spend on the estate "
        f"({money.exact(sized.estate_total_pence)}, which includes shares of social care, schools "
        f"and capital works) and {sized.estate_services_share:.1%} of its estate-services "
        f"spend ({money.exact(sized.estate_services_pence)}, the Housing landlord services).",
        f"The same three services come to {tool_total} a year here against the pilot's "
        f"{money.exact(int(table['pilot_pence'].sum()))}.",
    )


# ---- briefs -----------------------------------------------------------------------------------


def pot_brief_json(pot: Pot) -> bytes:
    """The brief as UTF-8 JSON: the pot, its lines, and ready-made Decidim and CONSUL shapes.

    Top-level keys: ``schema`` (name, version and the field mapping), ``data``, ``caveats``,
    ``estate``, ``financial_year``, ``pot``, ``lines``, ``decidim``, ``consul``. See the module
    docstring for the mapping.
    """
    return (json.dumps(brief_dict(pot), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def brief_dict(pot: Pot) -> dict[str, Any]:
    """The JSON brief as a dict (see :func:`pot_brief_json`)."""
    whole_total, whole_lines = whole_pounds(pot.total_pence, pot.lines["amount_pence"].tolist())
    lines = [
        {
            "service_id": r.service_id,
            "title": r.service,
            "amount_gbp": money.gbp(r.amount_pence),
            "amount_whole_gbp": whole,
            "low_gbp": money.gbp(r.low_pence),
            "high_gbp": money.gbp(r.high_pence),
        }
        for r, whole in zip(pot.lines.itertuples(), whole_lines, strict=True)
    ]
    return {
        "schema": SCHEMA,
        "data": pot.data_label,
        "caveats": list(_texts.CAVEATS),
        "estate": {
            "id": pot.estate_id,
            "name": pot.estate_name,
            "households_est": _round1(pot.households_est),
            "residents_est": _round1(pot.residents_est),
        },
        "financial_year": pot.financial_year,
        "pot": {
            "amount_gbp": money.gbp(pot.total_pence),
            "amount_whole_gbp": whole_total,
            "low_gbp": money.gbp(pot.low_pence),
            "high_gbp": money.gbp(pot.high_pence),
            "estate_total_gbp": money.gbp(pot.estate_total_pence),
            "share_of_estate": round(pot.share, 4),
            "estate_services_gbp": money.gbp(pot.estate_services_pence),
            "share_of_estate_services": round(pot.estate_services_share, 4),
            "per_household_gbp": _gbp_or_none(pot.per_household_pence),
            "previous_year": pot.previous_financial_year,
            "previous_year_gbp": _gbp_or_none(pot.previous_year_total_pence),
            "change_on_previous_year": _round4(pot.change_share),
        },
        "lines": lines,
        "decidim": _decidim(pot, whole_total, lines),
        "consul": _consul(pot, whole_total, lines),
    }


def pot_brief_csv(pot: Pot) -> bytes:
    """The brief as UTF-8 CSV: one ``budget`` row, then one ``project`` row per line.

    Columns are listed in the module docstring; text a spreadsheet would run is neutralised.
    """
    brief = brief_dict(pot)
    total = brief["pot"]
    common = {
        "scope_code": pot.estate_id,
        "scope_name": pot.estate_name,
        "financial_year": pot.financial_year,
    }
    rows = [
        {
            "record_type": "budget",
            **common,
            "service_id": "",
            "title": _budget_title(pot),
            "amount_whole_gbp": total["amount_whole_gbp"],
            "amount_gbp": total["amount_gbp"],
            "low_gbp": total["low_gbp"],
            "high_gbp": total["high_gbp"],
            "share_of_estate": total["share_of_estate"],
            "households_est": _round1(pot.households_est),
            "per_household_gbp": total["per_household_gbp"],
            "previous_year": pot.previous_financial_year or "",
            "previous_year_gbp": total["previous_year_gbp"],
        }
    ]
    for line in brief["lines"]:
        rows.append(
            {
                "record_type": "project",
                **common,
                "service_id": line["service_id"],
                "title": line["title"],
                "amount_whole_gbp": line["amount_whole_gbp"],
                "amount_gbp": line["amount_gbp"],
                "low_gbp": line["low_gbp"],
                "high_gbp": line["high_gbp"],
            }
        )
    frame = pd.DataFrame(rows, columns=CSV_COLUMNS[:-2])
    frame["data"] = pot.data_label
    frame["caveats"] = " ".join(_texts.CAVEATS)
    return csv_bytes(frame)


def pot_brief_pdf(pot: Pot) -> bytes:
    """The brief as a printable A4 PDF: the pot, its lines, the caveats and the licences."""
    doc = Document(_budget_title(pot), pot.data_label, is_demo=pot.is_demo)
    doc.heading(_budget_title(pot))
    doc.subheading(f"Participatory budgeting pot, financial year {pot.financial_year}")
    doc.banner()
    figures = [
        ("Pot (central estimate)", money.exact(pot.total_pence)),
        ("Range (low to high)", f"{money.exact(pot.low_pence)} to {money.exact(pot.high_pence)}"),
        ("Share of all place-based spend on the estate",
         f"{pot.share:.1%} of {money.exact(pot.estate_total_pence)}"),
        ("Share of the estate-services spend (Housing landlord services)",
         f"{pot.estate_services_share:.1%} of {money.exact(pot.estate_services_pence)}"),
        ("Households (estimated)", _count(pot.households_est)),
        ("Per household", money.exact(pot.per_household_pence, "-")),
    ]
    if pot.previous_financial_year:
        change = pot.change_share
        note = "" if change is None else f" (change {change:+.1%})"
        figures.append(
            (f"Same services, {pot.previous_financial_year}",
             money.exact(pot.previous_year_total_pence, "-") + note)
        )
    doc.key_values(figures)
    doc.section("Services in the pot")
    doc.table(
        ["Service", "Amount", "Low", "High"],
        [
            [r.service, money.exact(r.amount_pence), money.exact(r.low_pence),
             money.exact(r.high_pence)]
            for r in pot.lines.itertuples()
        ]
        + [["Total", money.exact(pot.total_pence), money.exact(pot.low_pence),
            money.exact(pot.high_pence)]],
        widths=(100, 28, 26, 26),
        align=("LEFT", "RIGHT", "RIGHT", "RIGHT"),
    )
    doc.section("Read this before using the figures")
    for caveat in _texts.CAVEATS:
        doc.paragraph(caveat)
    doc.paragraph(_texts.HILGROVE_REFERENCE)
    doc.section("Loading into a participation platform")
    doc.paragraph(
        "The JSON and CSV briefs carry the same figures shaped for Decidim (a budget per scope "
        "with total_budget; projects with budget_amount) and CONSUL Democracy (a heading with "
        "price and population; investments with price), in whole pounds that add up to the "
        "total, with the exact pounds and pence alongside."
    )
    doc.licences(pot.licences)
    return doc.output()


# ---- platform shapes --------------------------------------------------------------------------

CSV_COLUMNS = [
    "record_type",
    "scope_code",
    "scope_name",
    "financial_year",
    "service_id",
    "title",
    "amount_whole_gbp",
    "amount_gbp",
    "low_gbp",
    "high_gbp",
    "share_of_estate",
    "households_est",
    "per_household_gbp",
    "previous_year",
    "previous_year_gbp",
    "data",
    "caveats",
]

SCHEMA: dict[str, object] = {
    "name": SCHEMA_NAME,
    "version": SCHEMA_VERSION,
    "note": (
        "Amounts: *_gbp are exact pounds and pence as text; *_whole_gbp, total_budget, "
        "budget_amount and price are whole pounds (integers) rounded so the lines add up to "
        "the total. Lines under one pound are left out of Decidim projects and CONSUL "
        "investments. Figures are apportioned estimates with a low-high range (see caveats)."
    ),
    "decidim": {
        "version": (
            "Decidim 0.28 (decidim-budgets): a Budget's title, description, total_budget and "
            "scope as its admin form takes them; each Project's title, description and "
            "budget_amount as Decidim::Budgets::ProjectSerializer exports them"
        ),
        "component": "budgets",
        "budget": {
            "title": "translatable text {locale: text}",
            "description": "translatable rich text (HTML), names escaped",
            "total_budget": "integer, whole pounds = pot.amount_whole_gbp",
            "scope": "the estate: {code: estate id, name: {locale: estate name}}",
        },
        "projects": {
            "title": "translatable text = line title (service)",
            "description": "translatable rich text (HTML)",
            "budget_amount": "integer > 0, whole pounds = line amount_whole_gbp",
        },
    },
    "consul": {
        "version": (
            "CONSUL Democracy 2.x: Budget (name, currency_symbol) -> Budget::Group -> "
            "Budget::Heading (name, price, population) and Budget::Investment (title, "
            "description, price), entered by an administrator (CONSUL's API is read-only)"
        ),
        "budget": "name, currency_symbol; groups[] -> headings[]",
        "group": "name = 'Estates'",
        "heading": {
            "name": "estate name",
            "price": "integer, whole pounds = pot.amount_whole_gbp",
            "population": "integer > 0 (estimated residents) or null",
        },
        "investments": {
            "title": "line title (service)",
            "description": "HTML text",
            "price": "integer, whole pounds = line amount_whole_gbp",
            "heading": "the heading's name",
        },
    },
}


def whole_pounds(total_pence: int, line_pence: list[int]) -> tuple[int, list[int]]:
    """Whole pounds for a total and its lines, the lines adding up to the total exactly.

    The total is rounded half up; each line is floored, and the pounds left over go one each
    to the lines with the largest remainders (largest-remainder rounding, ties to the earlier
    line). With ``T = round(Σ p / 100)``, ``0 <= T - Σ floor(p / 100) <= len(lines)`` always
    holds, so the leftover fits.
    """
    whole_total = int((Decimal(total_pence) / 100).quantize(Decimal(1), ROUND_HALF_UP))
    if not line_pence:
        return whole_total, []
    floors = [p // 100 for p in line_pence]
    leftover = whole_total - sum(floors)
    order = sorted(range(len(line_pence)), key=lambda i: (-(line_pence[i] % 100), i))
    out = list(floors)
    for i in order[:leftover]:
        out[i] += 1
    return whole_total, out


def _decidim(pot: Pot, whole_total: int, lines: list[dict]) -> dict[str, object]:
    return {
        "budget": {
            "title": {"en": _budget_title(pot)},
            "description": {"en": _html_description(pot)},
            "total_budget": whole_total,
            "weight": 0,
            "scope": {"code": pot.estate_id, "name": {"en": pot.estate_name}},
        },
        "projects": [
            {
                "title": {"en": line["title"]},
                "description": {"en": _html_line(line, pot)},
                "budget_amount": line["amount_whole_gbp"],
                "budget_amount_gbp": line["amount_gbp"],
                "service_id": line["service_id"],
            }
            for line in lines
            if line["amount_whole_gbp"] > 0
        ],
    }


def _consul(pot: Pot, whole_total: int, lines: list[dict]) -> dict[str, object]:
    population = round(pot.residents_est) if pot.residents_est else None
    heading = {
        "name": pot.estate_name,
        "price": whole_total,
        "price_gbp": money.gbp(pot.total_pence),
        "population": population if population and population > 0 else None,
        "households_est": _round1(pot.households_est),
    }
    return {
        "budget": {
            "name": f"Estate budgets {pot.financial_year}",
            "currency_symbol": "£",
            "groups": [{"name": "Estates", "headings": [heading]}],
        },
        "investments": [
            {
                "title": line["title"][:CONSUL_TITLE_MAX],
                "description": _html_line(line, pot),
                "price": line["amount_whole_gbp"],
                "price_gbp": line["amount_gbp"],
                "heading": pot.estate_name,
                "service_id": line["service_id"],
            }
            for line in lines
            if line["amount_whole_gbp"] > 0
        ],
    }


def _budget_title(pot: Pot) -> str:
    return f"{pot.estate_name}: residents' budget {pot.financial_year}"


def _html_description(pot: Pot) -> str:
    parts = [
        f"What is spent on these services on {pot.estate_name} in {pot.financial_year}: "
        f"about £{money.gbp(pot.total_pence)} (range £{money.gbp(pot.low_pence)} to "
        f"£{money.gbp(pot.high_pence)}), {pot.share:.0%} of the estate's spend.",
        *_texts.CAVEATS,
        f"Data: {pot.data_label}.",
    ]
    return "".join(f"<p>{html.escape(p)}</p>" for p in parts)


def _html_line(line: dict, pot: Pot) -> str:
    text = (
        f"{line['title']} on {pot.estate_name}, {pot.financial_year}: about "
        f"£{line['amount_gbp']} (range £{line['low_gbp']} to £{line['high_gbp']}). "
        f"Apportioned estimate. Data: {pot.data_label}."
    )
    return f"<p>{html.escape(text)}</p>"


# ---- helpers ----------------------------------------------------------------------------------


def _profile(con: duckdb.DuckDBPyConnection, estate_id: str) -> pd.Series:
    found = query(con, "estate_profile", estate_id=estate_id)
    if found.empty:
        msg = f"No estate with id '{estate_id}'. Run `placespend estates` to list them."
        raise PlacespendError(msg)
    return found.iloc[0]


def _lines(con, estate_id: str, year: str, service_ids: list[str]) -> pd.DataFrame:
    lines = query(
        con, "pot_lines", estate_id=estate_id, financial_year=year, service_ids=service_ids
    )
    unknown = sorted(set(service_ids) - set(lines["service_id"]))
    if unknown:
        msg = (
            f"Unknown service id(s): {', '.join(unknown)}. The catalogue's services are in "
            "placespend/data/catalogue.yaml (or your --catalogue)."
        )
        raise PlacespendError(msg)
    for col in ("amount_pence", "low_pence", "high_pence", "alt_low_pence", "alt_high_pence"):
        lines[col] = lines[col].astype("int64")
    return lines[LINE_COLUMNS].reset_index(drop=True)


def _services_total(con, estate_id: str, year: str, service_ids: list[str]) -> int:
    if not service_ids:
        return 0
    return int(_lines(con, estate_id, year, service_ids)["amount_pence"].sum())


def _estate_total(con, estate_id: str, year: str) -> int:
    totals = query(con, "estate_totals", financial_year=year)
    row = totals[totals["estate_id"] == estate_id]
    return int(row["total_pence"].iloc[0]) if len(row) else 0


def _previous_year(year: str) -> str:
    """``"2024-25"`` -> ``"2023-24"``."""
    start = int(year[:4]) - 1
    return f"{start}-{(start + 1) % 100:02d}"


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _round1(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _round4(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _gbp_or_none(pence: int | None) -> str | None:
    return None if pence is None else money.gbp(pence)


def _count(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


__all__ = [
    "Pot",
    "brief_dict",
    "delegable_services",
    "pot_brief_csv",
    "pot_brief_json",
    "pot_brief_pdf",
    "size_pot",
    "whole_pounds",
]
