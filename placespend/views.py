"""The data behind each view of the app, as plain frames and small dataclasses.

``app.py`` only lays these out; everything it shows is computed here (or in ``export``,
``pot`` and ``reports``) so it can be tested without Streamlit and equals what the CLI and the
exports say. Amounts stay integer pence; :mod:`placespend.money` formats them at the
edge.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from placespend import estate_names, export, geography, intervals, maps, money, paths, reads, store
from placespend._sql import query
from placespend.errors import PlacespendError
from placespend.keys import KEYS

METRICS = ("Total £", "£ per household")
SEARCH_LABEL_ALIASES = 4  # aliases shown after an estate's name in the search list
NONRESIDENTIAL_LIMIT = 0.10  # no estate should hold more of its area in non-residential land


# ---- formatting ----------------------------------------------------------------------------


def key_label(key: str) -> str:
    """A key's plain-English label (``households`` -> 'Households (2011 Census)')."""
    return KEYS[key].label if key in KEYS else key


# ---- datasets (the default store and the user's uploads; built by placespend.uploads) -------


@dataclass(frozen=True)
class Dataset:
    """A built store the app can show: the default one, or one built from uploaded files."""

    key: str
    label: str
    db_path: Path

    @property
    def exists(self) -> bool:
        return self.db_path.exists()


def default_dataset(home: Path | str | None = None) -> Dataset:
    """The default store (``$PLACESPEND_HOME`` or ``.placespend/``)."""
    return Dataset("default", "Default (shipped boundaries)", paths.db_path(home))


def datasets(home: Path | str | None = None) -> list[Dataset]:
    """The default store first, then every built upload, newest first."""
    found = [default_dataset(home)]
    folder = paths.uploads_dir(home)
    if folder.is_dir():
        built = [p for p in folder.iterdir()
                 if not p.name.startswith(".") and (p / paths.DB_FILENAME).exists()]
        for p in sorted(built, key=lambda p: p.stat().st_mtime, reverse=True):
            found.append(Dataset(p.name, f"Upload: {p.name}", p / paths.DB_FILENAME))
    return found


def open_store(db_file: Path | str) -> duckdb.DuckDBPyConnection:
    """Open a built store read-only."""
    return store.connect(Path(db_file), read_only=True)


# ---- store-wide facts ----------------------------------------------------------------------


def build_info(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """The store's build metadata."""
    return store.read_build_info(con)


def is_demo(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the spend is the synthetic demo (every page then carries a banner)."""
    return reads.is_demo(con)


def data_label(con: duckdb.DuckDBPyConnection) -> str:
    """The label every export carries: the demo warning, or 'user-supplied spend'."""
    return reads.data_label(con)


def financial_years(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Financial years in the store, newest first."""
    return reads.financial_years(con)


def default_year(con: duckdb.DuckDBPyConnection) -> reads.YearChoice:
    """The year a page shows first, as ``placespend estates`` does: the latest with a full
    year of data (one stray late payment does not make a year), with the reason to show."""
    return reads.default_year(con)


def services(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The service catalogue: id, name, directorate, outcomes, key, delegable, place_based."""
    return query(con, "catalogue_services")


def links(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Catalogue links between services, with the outcome's label."""
    return query(con, "catalogue_links")


def outcomes(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Mission outcomes: ``outcome_id``, ``label``."""
    return query(con, "catalogue_outcomes")


def estate_options(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Estate id -> the name shown in pickers (and in shared links), unique and sorted."""
    shapes = query(con, "estate_shapes")[["estate_id", "estate_name"]]
    dup = shapes["estate_name"].duplicated(keep=False)
    labels = shapes["estate_name"].where(
        ~dup, shapes["estate_name"] + " [" + shapes["estate_id"] + "]"
    )
    return dict(zip(shapes["estate_id"], labels, strict=True))


def estate_search(con: duckdb.DuckDBPyConnection) -> estate_names.EstateIndex:
    """The search index over the store's estates (ids, display names, aliases), for the
    app's estate search; the CLI's ``--estate`` uses the same resolver."""
    return reads.estate_index(con)


def estate_search_labels(index: estate_names.EstateIndex, options: dict[str, str],
                         max_aliases: int = SEARCH_LABEL_ALIASES) -> dict[str, str]:
    """Estate id -> its picker label followed by a few aliases, so that typing any of them
    filters the list to it: the streets it sits on beyond the one in its name,
    ``"Dorman Way (derived) · Alexandra Road, Hilgrove Road, Loudoun Road, Boundary Road"``."""
    out = {}
    for eid, label in options.items():
        implied = {estate_names.normalise(a) for a in estate_names.name_aliases(label)}
        streets = [a for a in index.aliases(eid) if estate_names.normalise(a) not in implied
                   and not a.endswith(" Estate") and len(a.split()) > 1]
        extra = [a for a in streets
                 if estate_names.normalise(a) not in estate_names.normalise(label)]
        out[eid] = label + (" · " + ", ".join(extra[:max_aliases]) if extra else "")
    return out


def find_estate(index: estate_names.EstateIndex, text: str | None) -> tuple[str | None, str]:
    """What a search for ``text`` finds: ``(estate_id, "")``, or ``(None, message)`` with the
    matches or the nearest names ("did you mean")."""
    if text is None or not str(text).strip():
        return None, ""
    try:
        return index.resolve(str(text)), ""
    except PlacespendError as err:
        return None, str(err).replace(" Run `placespend estates` to list them.", "")


def estate_coverage(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, dict[str, float]]:
    """How well the estates cover council homes, per estate and overall (for the Method page).

    Returns the per-estate table (``estate_name``, ``source``, ``council_households``,
    ``share_of_council_households``, ``nonresidential_share``, ``area_m2``) and the overall
    figures: ``council_households_covered`` (share of the borough's council-renting households,
    2011, split inside each output area by residential footprint, that lie in an estate),
    ``max_nonresidential_share`` and ``estates_over_limit`` (estates with more than 10% of
    their area in railway, commercial, retail, campus, park or water land).
    """
    on = query(con, "estate_coverage")
    nonres = on["nonresidential_share"].astype(float)
    overall = {
        "council_households_covered": float(on["share_of_council_households"].sum()),
        "max_nonresidential_share": float(nonres.max()) if nonres.notna().any() else float("nan"),
        "estates_over_limit": int((nonres > NONRESIDENTIAL_LIMIT).sum()),
    }
    return on.reset_index(drop=True), overall


def estate_coverage_display(table: pd.DataFrame) -> pd.DataFrame:
    """The coverage table in words and percentages (the Method page shows this)."""
    return pd.DataFrame({
        "Estate": table["estate_name"],
        "Boundary": table["source"].map(lambda v: maps.source_label(v, short=True)),
        "Council households (2011, est.)": table["council_households"].round(0),
        "Share of borough's council households": (table["share_of_council_households"] * 100
                                                  ).round(2),
        "Non-residential land (% of area)": (table["nonresidential_share"].astype(float) * 100
                                             ).round(1),
        "Area (m²)": table["area_m2"].round(0),
    })


def filtered_services(
    catalogue: pd.DataFrame, chosen: Sequence[str] = (), outcome: str | None = None,
    include_secondary: bool = False,
) -> list[str]:
    """The services a filter keeps: ``chosen`` (all when empty) whose primary outcome is
    ``outcome`` (any when None), or that serve it at all with ``include_secondary``.

    Each service has one primary outcome, so the primary filters split the services (and
    every estate's total) into parts that add up to the whole."""
    keep = catalogue if not chosen else catalogue[catalogue["service_id"].isin(chosen)]
    if outcome and include_secondary:
        keep = keep[keep["outcomes"].fillna("").str.split(";").map(lambda o: outcome in o)]
    elif outcome:
        keep = keep[keep["primary_outcome"] == outcome]
    return keep["service_id"].tolist()


# ---- the map -------------------------------------------------------------------------------


def map_geometry(con: duckdb.DuckDBPyConnection) -> tuple[maps.Context, pd.DataFrame]:
    """The map's context layers and estate polygon records, in WGS84 (reprojected once: the
    app caches the result per store)."""
    wards = maps.frame_from_wkb(query(con, "ward_shapes"))
    shapes = maps.frame_from_wkb(query(con, "estate_shapes"))
    estates = maps.with_hit_polygons(maps.polygon_records(
        maps.to_wgs84(shapes, simplify_m=maps.ESTATE_TOLERANCE_M), ["estate_id"]
    ))
    return maps.load_context(wards, estates=shapes), estates


def map_table(
    con: duckdb.DuckDBPyConnection,
    financial_year: str | None,
    service_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per estate with the figures the map colours and its tooltip shows.

    ``total_pence`` and ``per_household_pence`` cover ``service_ids`` (every service when None);
    ``all_services_pence`` is the estate's whole total, as ``placespend estates`` shows it.
    """
    shapes = query(con, "estate_shapes").drop(columns="geometry_wkb")
    rows = reads.estate_rows(con, None, financial_year)
    all_total = rows.groupby("estate_id")["amount_pence"].sum()
    if service_ids is not None:
        rows = rows[rows["service_id"].isin(list(service_ids))]
    sums = rows.groupby("estate_id")[["amount_pence"]].sum()
    ranges = {e: intervals.combine(g) for e, g in rows.groupby("estate_id")}
    sums["low_pence"] = [ranges[e][0] for e in sums.index]
    sums["high_pence"] = [ranges[e][1] for e in sums.index]
    out = shapes.merge(sums, left_on="estate_id", right_index=True, how="left")
    for col in ("amount_pence", "low_pence", "high_pence"):
        out[col] = out[col].fillna(0).astype("int64")
    out = out.rename(columns={"amount_pence": "total_pence"})
    out["all_services_pence"] = out["estate_id"].map(all_total).fillna(0).astype("int64")
    households = out["households_est"].where(out["households_est"] > 0)
    out["per_household_pence"] = out["total_pence"] / households
    out["boundary"] = out["source"].map(maps.source_label)
    out["boundary_short"] = out["source"].map(lambda v: maps.source_label(v, short=True))
    out["total_text"] = out["total_pence"].map(money.compact)
    out["per_household_text"] = out["per_household_pence"].map(money.compact)
    return out.sort_values(["total_pence", "estate_name"], ascending=[False, True]).reset_index(
        drop=True
    )


def metric_column(metric: str) -> str:
    """The ``map_table`` column a map metric colours by."""
    return "per_household_pence" if metric == "£ per household" else "total_pence"


def map_table_display(table: pd.DataFrame) -> pd.DataFrame:
    """The map's data as a readable table (the map's text alternative)."""
    return pd.DataFrame(
        {
            "Estate": table["estate_name"],
            "Boundary": table["boundary"],
            "Households (est.)": table["households_est"].round(0),
            "Total (£)": (table["total_pence"] / 100).round(2),
            "Low (£)": (table["low_pence"] / 100).round(2),
            "High (£)": (table["high_pence"] / 100).round(2),
            "Per household (£)": (table["per_household_pence"] / 100).round(2),
        }
    )


# ---- one estate ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EstateOverview:
    """One estate's headline figures for a year (or all years), in pence."""

    estate_id: str
    name: str
    source: str
    boundary: str
    boundary_note: str
    wards: str
    households_est: float
    total_pence: int
    low_pence: int
    high_pence: int
    direct_pence: int
    delegable_pence: int
    per_household_pence: float | None


def estate_overview(
    con: duckdb.DuckDBPyConnection, estate_id: str, financial_year: str | None
) -> EstateOverview:
    """Totals with range, direct and delegable pence, per household (as ``estate_totals``)."""
    totals = reads.estate_totals(con, financial_year)
    hit = totals[totals["estate_id"] == estate_id]
    if hit.empty:
        msg = f"No estate with id '{estate_id}' in this store. Pick one from the list."
        raise PlacespendError(msg)
    row = hit.iloc[0]
    shapes = query(con, "estate_shapes").set_index("estate_id")
    wards = ward_names(con)
    codes = [c for c in str(row["ward_codes"] or "").split(";") if c]
    per_hh = row["per_household_pence"]
    return EstateOverview(
        estate_id=estate_id,
        name=str(row["estate_name"]),
        source=str(row["source"]),
        boundary=maps.source_label(str(row["source"])),
        boundary_note=str(shapes.loc[estate_id, "boundary_note"] or ""),
        wards=", ".join(wards.get(c, c) for c in codes),
        households_est=float(row["households_est"] or 0),
        total_pence=int(row["total_pence"]),
        low_pence=int(row["low_pence"]),
        high_pence=int(row["high_pence"]),
        direct_pence=int(row["direct_pence"]),
        delegable_pence=int(row["delegable_pence"]),
        per_household_pence=None if pd.isna(per_hh) else float(per_hh),
    )


def ward_names(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Ward code -> ward name."""
    wards = query(con, "ward_shapes")
    return dict(zip(wards["ward_code"], wards["ward_name"], strict=True))


def provenance(
    con: duckdb.DuckDBPyConnection, estate_id: str, financial_year: str | None
) -> pd.DataFrame:
    """An estate's spend line by line with how it was placed (pence).

    Columns: service_id, service, directorate, outcomes, delegable, basis, scope_type,
    scope_code, scope_name, key, how (plain words), amount_pence, low_pence, high_pence.
    """
    rows = query(con, "estate_provenance", estate_id=estate_id, financial_year=financial_year)
    rows["how"] = [_how(r.basis, r.key, r.scope_name) for r in rows.itertuples()]
    return rows


def _how(basis: str, key: str, scope_name: str) -> str:
    if basis == "direct":
        return "the estate's own contract"
    return f"by {key_label(key).lower()}, over {scope_name}"


def provenance_display(rows: pd.DataFrame, total_pence: int) -> pd.DataFrame:
    """The provenance lines as a readable table, with each line's share of the estate."""
    share = (rows["amount_pence"] / total_pence if total_pence
             else pd.Series(0.0, index=rows.index))
    return pd.DataFrame(
        {
            "Service": rows["service"],
            "Directorate": rows["directorate"],
            "Basis": rows["basis"],
            "How it was placed": rows["how"],
            "Amount (£)": (rows["amount_pence"] / 100).round(2),
            "Low (£)": (rows["low_pence"] / 100).round(2),
            "High (£)": (rows["high_pence"] / 100).round(2),
            "Share of estate": (share * 100).round(1),
            "Delegable": rows["delegable"],
        }
    )


def by_service(rows: pd.DataFrame) -> pd.DataFrame:
    """Provenance lines summed per service (service_id, service, directorate, pence)."""
    cols = ["amount_pence", "low_pence", "high_pence"]
    keys = ["service_id", "service", "directorate", "outcomes", "delegable"]
    out = rows.groupby(keys, as_index=False, dropna=False)[cols].sum()
    return out.sort_values("amount_pence", ascending=False).reset_index(drop=True)


def excluded(con: duckdb.DuckDBPyConnection, financial_year: str | None) -> pd.DataFrame:
    """Spend kept off every estate (levies, interest, payroll, unclassified), by service."""
    return query(con, "excluded_by_service", financial_year=financial_year)


def service_reach(con: duckdb.DuckDBPyConnection, financial_year: str | None) -> pd.DataFrame:
    """Per service: pence placed anywhere in the borough, and on estates."""
    return query(con, "service_reach", financial_year=financial_year)


def comparison(
    con: duckdb.DuckDBPyConnection, estate_id: str, financial_year: str | None
) -> pd.DataFrame:
    """The estate's £ per household beside its ward(s), all estates and the borough."""
    return query(
        con, "per_household_comparison", estate_id=estate_id, financial_year=financial_year
    )


def comparison_display(comp: pd.DataFrame) -> pd.DataFrame:
    """The comparison as a readable table."""
    return pd.DataFrame(
        {
            "Place": comp["place"],
            "Kind": comp["level"],
            "Total (£)": (comp["total_pence"] / 100).round(2),
            "Households": comp["households"].round(0),
            "Per household (£)": (comp["per_household_pence"] / 100).round(2),
        }
    )


@dataclass(frozen=True)
class SourceLines:
    """The payment lines behind a figure: the first ``limit`` as a readable ``table``, how many
    there are, and the sum of every line's share reaching the estate (pence, unrounded)."""

    table: pd.DataFrame  # the lines shown, at most the limit
    count: int  # every line reaching the estate
    share_pence: int  # the lines' whole-pence shares, summed: the figure, exactly
    download: bytes  # every line, as CSV


def source_lines(
    con: duckdb.DuckDBPyConnection,
    estate_id: str,
    service_id: str | None,
    financial_year: str | None,
    limit: int | None = None,
) -> SourceLines:
    """The payment lines behind an estate's figure, those reaching it most first: the first
    ``limit`` (every one when None) in ``table`` (for the screen), every one of them in
    ``download`` (a CSV carrying the data label, formulas neutralised), whose column
    ``Reaching this estate (£)`` (each line's whole-pence share) adds up to the figure."""
    lines = reads.source_lines(con, estate_id, service_id, financial_year)
    catalogue = services(con)
    names = dict(zip(catalogue["service_id"], catalogue["name"], strict=True))
    every = _lines_table(lines, names)
    labelled = every.assign(data=data_label(con))
    shown = every if limit is None else every.head(limit)
    return SourceLines(shown, len(lines), int(lines["estate_pence"].sum()),
                       export.csv_bytes(labelled))


def _lines_table(lines: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Reaching this estate (£)": lines["estate_pence"] / 100,
            "Whole line (£)": (lines["line_pence"] / 100).round(2),
            "Service": lines["service_id"].map(names).fillna(lines["service_id"]),
            "Payee (as published)": lines["payee"],
            "Purpose": lines["purpose"],
            "Date": pd.to_datetime(lines["payment_date"]).dt.date,
            "File": lines["source_file"],
            "Row": lines["source_row"],
            "Basis": lines["basis"],
            "Scope": lines["scope_type"] + " " + lines["scope_code"].fillna(""),
            "Key": lines["key"].fillna("").map(lambda k: key_label(k) if k else ""),
            "Contract": lines["contract_id"].fillna(""),
        }
    )


# ---- exports -------------------------------------------------------------------------------


def accuracy_caveat(con: duckdb.DuckDBPyConnection) -> str | None:
    """A caveat for the estate page when the store is on another council's geography: the
    shipped error figures and ranges were measured on Camden's boundaries, not there."""
    return None if geography.measured_here(geography.read(con)) else geography.NOT_MEASURED


def export_csv(
    con: duckdb.DuckDBPyConnection, estate_id: str | None, financial_year: str | None
) -> bytes:
    """The CLI's CSV export (``placespend export --format csv``) as bytes."""
    rows = reads.estate_rows(con, estate_id, financial_year)
    return export.csv_bytes(export.export_table(rows, data_label(con), geography.read(con)))


def export_geojson(con: duckdb.DuckDBPyConnection, financial_year: str | None,
                   estate_id: str | None = None) -> bytes:
    """Estates with totals as GeoJSON (WGS84), exactly as ``placespend export`` writes it:
    every estate, or the one ``estate_id`` names."""
    stem = export_stem(con, estate_id, financial_year)  # GeoJSON keeps the file name as "name"
    return export.geojson_bytes(con, financial_year, data_label(con), stem, estate_id)


def download_name(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """A download's file name, safe in any folder, prefixed ``SYNTHETIC_DEMO_`` on demo data."""
    return export.labelled_name(data_label(con), name)


def export_stem(con: duckdb.DuckDBPyConnection, estate_id: str | None, year: str | None) -> str:
    """File name stem as the CLI uses: demo files say so in their name."""
    return export.export_stem(data_label(con), estate_id, year)


# ---- method page ---------------------------------------------------------------------------

_RECONCILIATION_ROWS = (
    ("rows_read", "Spend rows read", "rows"),
    ("rows_accepted", "… accepted", "rows"),
    ("rows_quarantined", "… quarantined (see `placespend quarantine`)", "rows"),
    ("input_pence", "Accepted spend", "pence"),
    ("estates_pence", "… placed on estates", "pence"),
    ("residual_pence", "… placed in wards, off every estate", "pence"),
    ("excluded_pence", "… excluded (not place-based or unclassified)", "pence"),
    ("difference_pence", "Difference (must be £0.00)", "pence"),
    ("groups_checked", "Spend groups checked under every key", "rows"),
    ("groups_mismatched", "… that did not add up (must be 0)", "rows"),
)


def reconciliation_table(rec) -> pd.DataFrame:
    """A :class:`~placespend.reconcile.Reconciliation` as readable rows (exact pounds)."""
    rows = []
    for attr, label, unit in _RECONCILIATION_ROWS:
        value = getattr(rec, attr)
        rows.append({"Figure": label,
                     "Value": money.exact(value) if unit == "pence" else f"{int(value):,}"})
    return pd.DataFrame(rows)



def keys_table() -> pd.DataFrame:
    """Every apportionment key with its unit and meaning."""
    return pd.DataFrame(
        [
            {
                "key": k.name,
                "what": k.label,
                "unit": k.unit,
                "measured from": "2011 Census, split by building footprint"
                if k.census
                else "geometry (OpenStreetMap / boundaries)",
            }
            for k in KEYS.values()
        ]
    )


def service_keys_table(catalogue: pd.DataFrame) -> pd.DataFrame:
    """Which key each service is shared out by."""
    return pd.DataFrame(
        {
            "Service": catalogue["name"],
            "Directorate": catalogue["directorate"],
            "Key": catalogue["key"].map(key_label),
            "Delegable": catalogue["delegable"],
            "Place-based": catalogue["place_based"],
        }
    )


@dataclass(frozen=True)
class Doc:
    """A markdown document split around its images, for rendering part by part."""

    title: str
    parts: tuple[tuple[str, str], ...]  # ("markdown", text) or ("image", path)


_IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")


def doc(name: str) -> Doc | None:
    """``docs/<name>`` (or ``boundaries/README.md`` for ``boundaries``), None if absent."""
    path = paths.doc_path(name)
    if not path.exists():
        return None
    text = path.read_text(encoding="utf-8")
    parts: list[tuple[str, str]] = []
    last = 0
    for m in _IMAGE.finditer(text):
        parts.append(("markdown", text[last : m.start()]))
        image = (path.parent / m.group(1)).resolve()
        if image.exists():
            parts.append(("image", str(image)))
        last = m.end()
    parts.append(("markdown", text[last:]))
    title = next((ln.lstrip("# ").strip() for ln in text.splitlines() if ln.startswith("#")),
                 name)
    return Doc(title, tuple(p for p in parts if p[1].strip()))



# ---- what a build read ---------------------------------------------------------------------

QUARANTINE_WARNING_SHARE = 0.01  # above this share of a file's rows or £, a build is a warning


@dataclass(frozen=True)
class IngestReport:
    """What the spend files of a store gave: per file, per reason, and the refused rows.

    Shares of money are of the absolute amounts (a refund moves money too), so a file whose
    payments and refunds cancel out still shows how much of its money was not accepted.
    """

    files: pd.DataFrame  # one row per file, for display
    reasons: pd.DataFrame  # one row per reason, for display
    rows_read: int
    rows_quarantined: int
    pence_read: int  # every line's |amount| summed, accepted or not: the share of money's base
    pence_quarantined: int  # |amount| of the refused lines whose amount could be read
    unparsed_rows: int  # quarantined rows whose amount could not be read at all
    over_limit: tuple[str, ...] = ()  # files with more than 1% of rows or £ not accepted

    @property
    def row_share(self) -> float:
        return self.rows_quarantined / self.rows_read if self.rows_read else 0.0

    @property
    def pence_share(self) -> float:
        return self.pence_quarantined / self.pence_read if self.pence_read else 0.0

    @property
    def needs_attention(self) -> bool:
        """More than 1% of the rows, or of the £, of some file was not accepted (so, too,
        whenever more than 1% of all rows or £ was not)."""
        return bool(self.over_limit) or (
            max(self.row_share, self.pence_share) > QUARANTINE_WARNING_SHARE)

    def summary(self) -> str:
        """Plain sentences: how much was refused, of what, and which files passed the 1%."""
        text = (f"{self.rows_quarantined:,} of {self.rows_read:,} spend rows "
                f"({self.row_share:.1%}) were not accepted, holding "
                f"{money.exact(self.pence_quarantined)} ({self.pence_share:.1%} of the £ read, "
                "refunds counted as money moved)")
        if self.unparsed_rows:
            text += (f"; {self.unparsed_rows:,} of those rows had no amount that could be read, "
                     "so their £ is not in that figure")
        text += "."
        if self.over_limit and len(self.files) > 1:
            n = len(self.over_limit)
            text += (f" In {n:,} of the {len(self.files):,} files more than "
                     f"{QUARANTINE_WARNING_SHARE:.0%} of the rows or £ was not accepted (see "
                     "*Share not accepted*).")
        return text


def ingest_report(con: duckdb.DuckDBPyConnection) -> IngestReport:
    """Rows and £ read, accepted and quarantined per spend file, and the reasons, for the
    upload page (the same figures as ``placespend reconcile`` and ``placespend quarantine``).

    A file's share not accepted is the larger of its rows' share and its money's share
    (absolute amounts); above :data:`QUARANTINE_WARNING_SHARE` the report needs attention.
    """
    files = query(con, "ingest_files")
    reasons = query(con, "quarantine_reasons")
    gross = files["accepted_gross_pence"] + files["quarantined_gross_pence"]
    share = pd.concat([
        (files["rows_quarantined"] / files["rows_read"].where(files["rows_read"] > 0)),
        (files["quarantined_gross_pence"] / gross.where(gross > 0)),
    ], axis=1).max(axis=1).fillna(0.0)
    return IngestReport(
        files=pd.DataFrame({
            "File": files["source_file"],
            "Rows read": files["rows_read"],
            "Accepted": files["rows_accepted"],
            "Not accepted": files["rows_quarantined"],
            "Accepted £": files["accepted_pence"] / 100,
            "Not accepted £": files["quarantined_pence"] / 100,
            "Share not accepted": share,
        }),
        reasons=pd.DataFrame({
            "Reason": reasons["reason"],
            "Rows": reasons["rows"],
            "£": reasons["amount_pence"] / 100,
        }),
        rows_read=int(files["rows_read"].sum()),
        rows_quarantined=int(files["rows_quarantined"].sum()),
        pence_read=int(gross.sum()),
        pence_quarantined=int(files["quarantined_gross_pence"].sum()),
        unparsed_rows=int(files["quarantined_unparsed_rows"].sum()),
        over_limit=tuple(files.loc[share > QUARANTINE_WARNING_SHARE, "source_file"]),
    )


def quarantine_csv(con: duckdb.DuckDBPyConnection) -> bytes:
    """Every refused spend row (file, line, reason, amount, the row as published), as a CSV
    whose formulas are neutralised, the data label on every row."""
    rows = query(con, "quarantine_all").rename(columns={
        "source_file": "file", "source_row": "line", "amount_text": "amount_as_published",
        "raw": "row_as_published"})
    return export.csv_bytes(rows.assign(data=data_label(con)))
