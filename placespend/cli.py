"""The ``placespend`` command line: build, reconcile, estates, export, coverage, pot.

This is the only place (with ``app.py``) where errors become messages for people: a
:class:`~placespend.errors.PlacespendError` prints its message and exits with status 2; any
other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from placespend import accuracy as accuracy_mod
from placespend import build as build_mod
from placespend import classify as classify_mod
from placespend import export, geography, listings, money, paths, reads, safe_text, store
from placespend._sql import query
from placespend.demo import DEMO_LABEL
from placespend.errors import PlacespendError

app = typer.Typer(
    help="How much public money flows into each housing estate, and how much residents "
    "could control.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console()
err = Console(stderr=True)

Home = Annotated[
    Path | None,
    typer.Option(
        "--home",
        envvar=paths.HOME_ENV,
        help="Folder holding the DuckDB store (default: .placespend/ in the project).",
    ),
]
Year = Annotated[
    str | None,
    typer.Option("--year", help="UK financial year, e.g. 2024-25 (default: the latest with a "
                 "full year of data, named with the reason)."),
]
YearOrAll = Annotated[
    str | None,
    typer.Option("--year", help="UK financial year, e.g. 2024-25, or 'all' for every year "
                 "summed (default: the latest with a full year of data, named with the "
                 "reason)."),
]
Format = Annotated[
    str,
    typer.Option("--format", help="table (for people; never cut when written to a file or "
                 "pipe), csv or json (the data label in every row or object)."),
]
ALL_YEARS = "all"
# Written to a file or a pipe, a table is as wide as its longest line: nothing is cut to fit
# a terminal that is not there.
UNCUT_WIDTH = 100_000


_visible = safe_text.visible


def _plain(text: object) -> Text:
    """Text from data (names, reasons, paths) for rich: never read as markup like ``[bold]``."""
    return Text(_visible(text))


def _open(home: Path | None):
    return store.connect(paths.db_path(home))


def _data_label(con) -> str:
    info = build_mod.read_build_info(con)
    return DEMO_LABEL if info.get("is_demo") else "user-supplied spend"


def _demo_banner(con, console: Console | None = None) -> None:
    if build_mod.read_build_info(con).get("is_demo"):
        (console or out).print(f"[bold yellow]⚠ {DEMO_LABEL}[/]")


def _show(*renderables: object) -> None:
    """Print to stdout: on a terminal as wide as it is; to a file or pipe, never cut."""
    if out.is_terminal:
        out.print(*renderables)
    else:
        Console(file=out.file, width=UNCUT_WIDTH, highlight=False).print(*renderables)


def _choose_year(con, year: str | None, *, allow_all: bool = False,
                 console: Console | None = None) -> str | None:
    """``--year`` checked; without it the default year, with its reason printed (dim).
    ``all`` (where allowed) is None: every year, summed, and says so."""
    console = console or out
    if year and allow_all and year.strip().lower() == ALL_YEARS:
        console.print(Text("Every financial year in the store, summed (--year all).",
                           style="dim"))
        return None
    if year:
        return reads.check_year(con, year)
    choice = reads.default_year(con)
    console.print(Text(_visible(choice.reason), style="dim"), soft_wrap=True)
    return choice.year


def _emit(listing: listings.Listing, fmt: str) -> None:
    """A listing as CSV or JSON on stdout (bytes as they are: nothing re-wrapped)."""
    text = listing.csv().decode("utf-8") if fmt == "csv" else listing.json() + "\n"
    sys.stdout.write(text)
    sys.stdout.flush()


@app.command()
def build(
    home: Home = None,
    spend: Annotated[
        list[Path] | None,
        typer.Option("--spend", help="Spend export(s) (CSV); repeat for several files."),
    ] = None,
    contracts: Annotated[Path | None, typer.Option(
        help="Contracts register (CSV): placespend's columns, or any council's register with "
        "--contracts-mapping.")] = None,
    contracts_mapping: Annotated[Path | None, typer.Option(
        "--contracts-mapping", help="Contracts mapping (YAML/JSON) naming the register's "
        "columns (reference, supplier, title, description, start, end, value, ...); rows it "
        "cannot use are quarantined.")] = None,
    boundaries_dir: Annotated[
        Path | None,
        typer.Option(
            "--boundaries",
            help="Folder holding any of the boundary layers as <layer>.parquet (.gpkg, "
            ".geojson, ...): wards, small_areas, estates, borough, wards_display, buildings, "
            "green_spaces, trees, roads, waste_points, nonresidential_land. What it holds "
            "replaces the shipped Camden layer; with your own wards or small areas, Camden's "
            "context layers are never used (a key whose layer is missing falls back to area).",
        ),
    ] = None,
    catalogue: Annotated[Path | None, typer.Option(help="Service catalogue (YAML).")] = None,
    estates: Annotated[Path | None, typer.Option(help="Estate polygons file.")] = None,
    wards: Annotated[Path | None, typer.Option(help="Ward polygons file.")] = None,
    small_areas: Annotated[
        Path | None, typer.Option("--small-areas", help="Small areas with census counts.")
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option(help="Column mapping (YAML/JSON) for a non-Camden spend file.")
    ] = None,
    borough: Annotated[Path | None, typer.Option(
        help="Borough outline polygon (optional borough_code, borough_name).")] = None,
    wards_display: Annotated[Path | None, typer.Option(
        "--wards-display", help="Ward polygons drawn on maps (ward_code, ward_name).")] = None,
    buildings: Annotated[Path | None, typer.Option(
        help="Residential building footprints: key residential_footprint, and the split of "
        "census counts inside a small area.")] = None,
    green_spaces: Annotated[Path | None, typer.Option(
        "--green-spaces", help="Green space polygons: key green_space.")] = None,
    trees: Annotated[Path | None, typer.Option(help="Tree points: key trees.")] = None,
    roads: Annotated[Path | None, typer.Option(
        help="Road lines with highway (OSM classes): key road_length.")] = None,
    waste_points: Annotated[Path | None, typer.Option(
        "--waste-points", help="Litter bin / recycling points (amenity): key waste_points.")
    ] = None,
    nonresidential_land: Annotated[Path | None, typer.Option(
        "--nonresidential-land", help="Land an estate must not take (kind): estates' "
        "non-residential share.")] = None,
    borough_code: Annotated[str | None, typer.Option(
        "--borough-code", help="The borough's code for borough-wide scope and every export; "
        "default: the borough layer's or wards file's borough_code, else BOROUGH.")] = None,
    borough_name: Annotated[str | None, typer.Option(
        "--borough-name", help="The borough's name for every export; default: the borough "
        "layer's or wards file's borough_name, else named after the wards file.")] = None,
    capital_programme: Annotated[Path | None, typer.Option(
        "--capital-programme", help="Capital programme (CSV: scheme, estate, blocks, "
        "start_year, end_year, budget_gbp), drawn beside each estate's capital spend; the "
        "demo build makes a synthetic one.")] = None,
    memory_limit: Annotated[
        str | None,
        typer.Option("--memory-limit", envvar=store.MEMORY_ENV, metavar="SIZE",
                     help="Most memory the build's database may use, e.g. 4GB; beyond it, it "
                     f"spills to disk beside the store (default {store.DEFAULT_MEMORY_LIMIT})."),
    ] = None,
    no_cache: Annotated[
        bool,
        typer.Option("--no-cache",
                     help="Compute the boundaries, atoms and keys even when an earlier build "
                     "read the same boundary files (kept in cache/ in the home folder)."),
    ] = False,
) -> None:
    """Build the store: boundaries, atoms, spend ingest, apportionment, reconciliation."""
    inputs = build_mod.BuildInputs(
        spend=tuple(spend or ()),
        contracts=contracts,
        contracts_mapping=contracts_mapping,
        boundaries=boundaries_dir,
        catalogue=catalogue,
        estates=estates,
        wards=wards,
        small_areas=small_areas,
        mapping=mapping,
        borough=borough,
        wards_display=wards_display,
        buildings=buildings,
        green_spaces=green_spaces,
        trees=trees,
        roads=roads,
        waste_points=waste_points,
        nonresidential_land=nonresidential_land,
        borough_code=borough_code,
        borough_name=borough_name,
        capital_programme=capital_programme,
    )
    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=False) as progress:
        task = progress.add_task("Starting", total=len(build_mod.STEPS))

        def on_step(name: str) -> None:
            progress.update(task, description=name, completed=build_mod.STEPS.index(name))

        result = build_mod.build(home, inputs, on_step=on_step, memory_limit=memory_limit,
                                 cache_dir=False if no_cache else None)
        progress.update(task, description="Done", completed=len(build_mod.STEPS))
    _print_build(result)


def _print_build(result: build_mod.BuildResult) -> None:
    r = result.reconciliation
    if result.is_demo:
        out.print(Text.assemble((f"⚠ {DEMO_LABEL}", "bold yellow"), " (generated in ",
                                _plain(paths.demo_dir(result.db_path.parent)), ")"))
    out.print(Text.assemble("Built ", _plain(result.db_path)))
    out.print(
        f"Rows read {r.rows_read:,}: accepted {r.rows_accepted:,}, quarantined "
        f"{r.rows_quarantined:,}. Money conserved to the penny: "
        f"{'yes' if r.ok else 'NO'} ({money.exact(r.input_pence)} accepted)."
    )
    with store.connect(result.db_path) as con:
        cov = query(con, "coverage").iloc[0]
    share = cov.classified_gross_pence / cov.gross_pence if cov.gross_pence else 1.0
    out.print(f"Catalogue rules classify {share:.1%} of spend (by £).")
    for note in result.notes[1:] if result.is_demo else result.notes:
        out.print(Text.assemble(("note:", "dim"), " ", _plain(note)), soft_wrap=True)
    if r.rows_quarantined:
        out.print("`placespend quarantine` lists the rows not accepted, with their reasons.")
    out.print("Next: `placespend estates` to list estates, `placespend reconcile` to check.")


@app.command()
def reconcile(
    home: Home = None,
    fmt: Format = "table",
    as_json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
) -> None:
    """Check conservation: rows and pounds, overall and per group; exit 1 on any mismatch."""
    fmt = "json" if as_json else listings.check_format(fmt)
    with _open(home) as con:
        listing, ok = listings.reconciliation(con)
    if fmt != "table":
        _emit(listing, fmt)
    else:
        table = Table("figure", "value", title=f"Reconciliation ({listing.facts['data']})")
        for name, value in listing.facts.items():
            table.add_row(name, f"{value:,}" if isinstance(value, int | float) and not
                          isinstance(value, bool) else str(value))
        _show(table)
    if not ok:
        raise typer.Exit(1)


@app.command()
def estates(
    home: Home = None,
    year: YearOrAll = None,
    limit: Annotated[int, typer.Option(help="Show at most this many estates (0 = all).")] = 0,
    fmt: Format = "table",
) -> None:
    """List estates with their total spend, range, delegable share and £ per household."""
    fmt = listings.check_format(fmt)
    side = out if fmt == "table" else err  # csv and json keep stdout for the data
    with _open(home) as con:
        _demo_banner(con, side)
        reason = "" if year else reads.default_year(con).reason
        year = _choose_year(con, year, allow_all=True, console=side)
        listing = listings.estates(con, year, reason)
    shown = listing.rows if limit <= 0 else listing.rows.head(limit)
    if fmt != "table":
        facts = {**listing.facts, "rows_listed": len(shown)}
        _emit(dataclasses.replace(listing, rows=shown, facts=facts), fmt)
        if len(shown) < len(listing.rows):
            err.print(f"{len(shown)} of {len(listing.rows)} estates (--limit {limit}).")
        return
    title = f"financial year {year}" if year else "every financial year, summed"
    table = Table(title=f"Spend by estate, {title}")
    table.add_column("estate")
    table.add_column("boundary")
    table.add_column("wards")
    for col in ("homes", "total", "range", "delegable", "per home"):
        table.add_column(col, justify="right", no_wrap=True)
    for r in shown.itertuples():
        per_home = "" if pd.isna(r.per_household_pence) else money.compact(r.per_household_pence)
        table.add_row(
            _plain(r.estate_name),
            "derived" if r.source == "derived_from_blocks" else _plain(r.source),
            _plain(r.ward_names.replace(";", ", ")),
            f"{r.households_est:,.0f}",
            money.compact(r.total_pence),
            f"{money.compact(r.low_pence)}–{money.compact(r.high_pence)}",
            money.compact(r.delegable_pence),
            per_home,
        )
    _show(table)
    _show(
        f"{len(shown)} of {len(listing.rows)} estates. 'derived' boundaries are made by "
        "placespend from homes and census tenure, not official estate boundaries. Homes = "
        "estimated households. Range = calibrated interval (nominally 80%, measured on census "
        "truth; docs/ACCURACY.md). --format csv or json for every figure in exact pounds."
    )


EXPORT_FORMATS = ("csv", "geojson", "xlsx", "pdf")


@app.command("export")
def export_cmd(
    home: Home = None,
    estate: Annotated[
        str | None, typer.Option(help="Estate id or a unique part of its name (default: all).")
    ] = None,
    year: YearOrAll = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write into.")] = Path("."),
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="csv, geojson, xlsx, pdf (comma-separated for several), all, or both "
            "(= csv,geojson). Default: all for one --estate, csv and geojson for every estate. "
            "xlsx and pdf need --estate.",
        ),
    ] = None,
) -> None:
    """Export estate spend: CSV (one row per estate, year, service, basis, key), GeoJSON of
    estates with totals, and for one estate an XLSX workbook and a printable PDF summary."""
    formats = _export_formats(fmt, estate)
    export.check_output_folder(out_dir)  # a file given as --out fails before any work
    with _open(home) as con:
        label = reads.data_label(con)
        if label == DEMO_LABEL:
            out.print(f"[bold yellow]⚠ {DEMO_LABEL}[/]")
        year = _choose_year(con, year, allow_all=True)
        estate_id = reads.resolve_estate(con, estate) if estate else None
        stem = export.export_stem(label, estate_id, year)
        written = []
        for kind in formats:
            path = _inside(out_dir, f"{stem}.{kind}")
            data = _export_bytes(con, kind, stem, estate_id, year, label)
            written.append(export.write_file(data, path))
    for path in written:
        out.print(Text.assemble("Wrote ", _plain(path)), soft_wrap=True)


def _export_formats(fmt: str | None, estate: str | None) -> list[str]:
    """The formats asked for, in a fixed order; xlsx and pdf only for one estate."""
    if fmt is None:
        return list(EXPORT_FORMATS) if estate else ["csv", "geojson"]
    asked = {p.strip().lower() for p in fmt.split(",") if p.strip()}
    if "all" in asked:
        asked |= set(EXPORT_FORMATS)
    if "both" in asked:
        asked |= {"csv", "geojson"}
    asked -= {"all", "both"}
    unknown = sorted(asked - set(EXPORT_FORMATS))
    if unknown or not asked:
        msg = (f"--format must be csv, geojson, xlsx, pdf (or several, comma-separated), all "
               f"or both, not '{fmt}'.")
        raise PlacespendError(msg)
    if not estate and asked & {"xlsx", "pdf"}:
        msg = ("--format xlsx and pdf are for one estate: add --estate NAME-OR-ID, or ask for "
               "--format csv,geojson to export every estate.")
        raise PlacespendError(msg)
    return [f for f in EXPORT_FORMATS if f in asked]


def _inside(folder: Path, name: str) -> Path:
    """``folder / name``, refusing any name that would land outside ``folder``."""
    path = folder / export.safe_filename(name, max_length=200)
    if path.resolve().parent != folder.resolve():
        msg = f"Refusing to write '{name}' outside {folder}."
        raise PlacespendError(msg)
    return path


def _export_bytes(con, kind: str, stem: str, estate_id: str | None, year: str | None,
                  label: str) -> bytes:
    if kind == "csv":
        return export.csv_bytes(export.export_table(reads.estate_rows(con, estate_id, year),
                                                    label, geography.read(con)))
    if kind == "geojson":
        return export.geojson_bytes(con, year, label, stem, estate_id)
    from placespend import reports  # openpyxl and fpdf2 only when asked for

    assert estate_id is not None  # _formats refuses xlsx and pdf without --estate
    return (reports.estate_xlsx if kind == "xlsx" else reports.estate_pdf)(con, estate_id, year)


@app.command()
def coverage(
    home: Home = None,
    limit: Annotated[int, typer.Option(help="How many unclassified labels to list.")] = 20,
    fmt: Format = "table",
) -> None:
    """How much spend the catalogue classifies, and the largest labels it does not."""
    fmt = listings.check_format(fmt)
    with _open(home) as con:
        listing = listings.coverage(con, limit)
    if fmt != "table":
        _emit(listing, fmt)
        return
    _show(_plain(listing.facts["sentence"]))
    table = Table("organisational unit", "purpose", "lines", "£ (gross)",
                  title="Largest unclassified labels")
    for r in listing.rows.itertuples():
        table.add_row(_plain(r.org_unit), _plain(r.purpose), f"{r.lines:,}",
                      f"{r.gross_pence/100:,.0f}")
    _show(table)


@app.command()
def classify(
    home: Home = None,
    limit: Annotated[int, typer.Option(help="How many unclassified labels to list.")] = 20,
    explain: Annotated[
        str | None,
        typer.Option("--explain", help="Say which rule classifies lines whose org unit or "
                     "purpose contains this text ('ORG UNIT / PURPOSE' narrows to both)."),
    ] = None,
    accept: Annotated[
        int | None,
        typer.Option("--accept", help="Write a rule for label number N of the list."),
    ] = None,
    service: Annotated[
        str | None,
        typer.Option("--service", help="With --accept: this service instead of the first "
                     "suggestion."),
    ] = None,
    catalogue: Annotated[
        Path | None,
        typer.Option("--catalogue", help="With --accept: your own catalogue file, which gains "
                     "the rule (created as a copy of the shipped one if missing; the shipped "
                     "one is never edited)."),
    ] = None,
) -> None:
    """The largest unclassified labels with their payees and suggested services; write a
    confirmed choice as a rule to your own catalogue, or explain a label's rule."""
    with _open(home) as con:
        if explain is not None:
            for e in classify_mod.explain(con, explain):
                out.print(_plain(f"{e.sentence()} ({money.compact(e.gross_pence)})"))
            return
        cov = classify_mod.coverage(con)
        todo = classify_mod.unclassified(con, limit)
    if accept is not None:
        _accept(todo, accept, service, catalogue)
        return
    out.print(_plain(cov.sentence()))
    table = Table("#", "organisational unit", "purpose", "£ (gross)", "top payees",
                  "suggested services", title="Largest unclassified labels")
    for i, r in enumerate(todo.itertuples(), start=1):
        hints = ", ".join(f"{sid} ({score:.0%})" for sid, score in r.suggestions) or "-"
        table.add_row(str(i), _plain(r.org_unit), _plain(r.purpose), money.compact(r.gross_pence),
                      _plain(r.payees or ""), _plain(hints))
    out.print(table)
    out.print(_plain("Accept one with: placespend classify --accept N [--service ID] "
                     "--catalogue my_catalogue.yaml, then rebuild with --catalogue."))


def _accept(todo: pd.DataFrame, number: int, service: str | None, path: Path | None) -> None:
    if path is None:
        msg = "--accept needs --catalogue FILE: your own catalogue, which gains the rule."
        raise PlacespendError(msg)
    if not 1 <= number <= len(todo):
        msg = f"--accept {number}: the list has labels 1 to {len(todo)}; run classify to see it."
        raise PlacespendError(msg)
    row = todo.iloc[number - 1]
    org_unit = None if pd.isna(row.org_unit) else row.org_unit
    purpose = None if pd.isna(row.purpose) else row.purpose
    chosen = service or (row.suggestions[0][0] if row.suggestions else None)
    if chosen is None:
        raise PlacespendError(f"label {number} has no suggestion; name one with --service.")
    why = (f"Confirmed with placespend classify: {org_unit or '(blank)'} / "
           f"{purpose or '(blank)'} is {chosen}.")
    written = classify_mod.add_rule(path, chosen, org_unit, purpose, why)
    out.print(_plain(f"Added a rule giving {chosen} to {org_unit or '(blank)'} / "
                     f"{purpose or '(blank)'} in {written}. Rebuild with: placespend build "
                     f"--catalogue {written} (and your spend files)."))


@app.command()
def quarantine(
    home: Home = None,
    limit: Annotated[int | None, typer.Option(
        help="How many rows to list (default: 50 in a table, every row as csv or json).")
    ] = None,
    suspects: Annotated[bool, typer.Option(
        "--suspects", help="List instead the accepted lines that repeat an earlier line of "
                           "their file in every mapped field (possible duplicates).")] = False,
    fmt: Format = "table",
) -> None:
    """The spend rows that were not accepted: file, line, reason, amount as written."""
    fmt = listings.check_format(fmt)
    if limit is None and fmt == "table":
        limit = 50
    with _open(home) as con:
        listing = (listings.suspects if suspects else listings.quarantine)(con, limit)
    if fmt != "table":
        _emit(listing, fmt)
        facts = listing.facts
        total = int(facts.get("rows_quarantined") or facts.get("possible_duplicates") or 0)
        if len(listing.rows) < total:
            err.print(f"{len(listing.rows):,} of {total:,} rows (--limit {limit}).")
    elif suspects:
        _suspects(listing)
    else:
        _quarantined(listing)


def _quarantined(listing: listings.Listing) -> None:
    reasons, rows = listing.parts["reasons"], listing.rows
    if reasons.empty:
        out.print("No rows were quarantined: every row read was accepted.")
        return
    summary = Table("reason", "rows", "£ (where the amount parsed)", title="Quarantine by reason")
    for r in reasons.itertuples():
        summary.add_row(_plain(r.reason), f"{r.rows:,}", f"{r.amount_pence / 100:,.2f}")
    _show(summary)
    listing_table = Table("file", "line", "reason", "amount as written",
                          title=_first(len(rows), int(listing.facts["rows_quarantined"]),
                                       "rows"))
    for r in rows.itertuples():
        listing_table.add_row(_plain(r.file), str(r.line), _plain(r.reason),
                              _plain(r.amount_as_written or ""))
    _show(listing_table)


def _first(shown: int, total: int, what: str) -> str:
    """A listing's title that says how many it holds of how many: 'All 12 rows', or 'First 50
    of 120 rows' with how to see the rest."""
    if shown >= total:
        return f"All {total:,} {what}"
    return f"First {shown:,} of {total:,} {what} (--limit N for more, --format csv for all)"


def _suspects(listing: listings.Listing) -> None:
    rows, total = listing.rows, int(listing.facts["possible_duplicates"])
    if not total:
        out.print("No accepted line repeats an earlier line of its file in every field.")
        return
    out.print(f"{total:,} accepted lines (£{listing.facts['possible_duplicates_gbp']:,.2f}) "
              "repeat an earlier line of their file in every mapped field. They are counted "
              "as payments; check them against the council's ledger.")
    table = Table("file", "line", "same as line", "date", "payee", "purpose", "£",
                  title=_first(len(rows), total, "possible duplicates"))
    for r in rows.itertuples():
        table.add_row(_plain(r.file), str(r.line), str(r.same_as_line),
                      str(r.payment_date), _plain(r.payee or ""), _plain(r.purpose or ""),
                      f"{r.amount_pence / 100:,.2f}")
    _show(table)


@app.command("contracts")
def contracts_command(
    home: Home = None,
    unmatched: Annotated[bool, typer.Option(
        "--unmatched", help="List the contracts that matched no payment, with their value "
        "and why (no payment to the supplier, none for the service, none within the dates).")
    ] = False,
    outside_dates: Annotated[bool, typer.Option(
        "--outside-dates", help="List the payments to a contracted supplier, for the "
        "contract's service, that fall outside every such contract's dates.")] = False,
    matches: Annotated[bool, typer.Option(
        "--matches", help="List the payee names matched to a contract's supplier after "
        "normalising, or by a near match, with the score.")] = False,
    quarantined: Annotated[bool, typer.Option(
        "--quarantined", help="List the register rows not accepted, with their reasons.")
    ] = False,
    limit: Annotated[int, typer.Option(help="How many rows each list shows.")] = 50,
) -> None:
    """The contracts register: rows read, accepted and quarantined, payments placed by a
    contract, contracts that matched no payment and payments outside their contract's dates."""
    with _open(home) as con:
        _require_contract_tables(con)
        _demo_banner(con)
        shown = [name for name, wanted in (("unmatched", unmatched),
                                           ("outside", outside_dates), ("matches", matches),
                                           ("quarantined", quarantined)) if wanted]
        if not shown:
            _contracts_summary(con)
        for name in shown:
            _CONTRACT_LISTS[name](con, limit)


def _require_contract_tables(con) -> None:
    tables = {t for (t,) in con.execute("select table_name from duckdb_tables()").fetchall()}
    if not {"contract_summary", "contracts_without_payments"} <= tables:
        msg = ("this store was built before placespend reported on contracts; build it again "
               "(placespend build, with the same options)")
        raise PlacespendError(msg)


def _contracts_summary(con) -> None:
    registers = query(con, "contract_register_summary")
    if registers.empty:
        out.print("No contracts register was loaded: every payment is shared borough-wide.")
    for r in registers.itertuples():
        out.print(Text.assemble(
            "Register ", _plain(r.source_file), f": {r.rows_read:,} rows read, "
            f"{r.rows_accepted:,} accepted, {r.rows_quarantined:,} quarantined "
            f"({money.exact(r.quarantined_value_pence)} of contract value)."))
    links = query(con, "contract_links")
    table = Table("supplier matched", "payment lines", "£", title="Payments placed by a contract")
    for r in links.itertuples():
        table.add_row(_plain(r.supplier_match), f"{r.lines:,}", f"{r.pence / 100:,.2f}")
    out.print(table)
    (n, value) = con.execute("select count(*), coalesce(sum(value_pence), 0) "
                             "from contracts_without_payments").fetchone()
    (m, pence) = con.execute("select count(*), coalesce(sum(amount_pence), 0) "
                             "from payments_outside_contract_dates").fetchone()
    out.print(f"{n:,} contracts matched no payment ({money.exact(value)} of contract value): "
              "--unmatched lists them.")
    out.print(f"{m:,} payment lines ({money.exact(pence)}) to contracted suppliers fall outside "
              "their contracts' dates: --outside-dates lists them.")


def _contracts_unmatched(con, limit: int) -> None:
    rows = query(con, "contract_unmatched", limit=limit)
    table = Table("contract", "supplier", "service", "start", "end", "value £", "value is",
                  "why", "£ paid to supplier", title=f"Contracts that matched no payment "
                  f"(first {limit})")
    for r in rows.itertuples():
        table.add_row(_plain(r.contract_id), _plain(r.supplier), _plain(r.service),
                      _date(r.start_date), _date(r.end_date), money.number(r.value_pence),
                      _plain(r.value_basis), _plain(r.reason), money.number(r.supplier_pence))
    out.print(table if len(rows) else "Every contract matched at least one payment.")


def _contracts_outside(con, limit: int) -> None:
    rows = query(con, "contract_outside_dates", limit=limit)
    table = Table("file", "line", "date", "payee", "service", "£", "contract", "its dates",
                  "days outside", title=f"Payments outside their contract's dates (first "
                  f"{limit})")
    for r in rows.itertuples():
        table.add_row(_plain(r.source_file), str(r.source_row), _date(r.payment_date),
                      _plain(_cell(r.payee)), _plain(_cell(r.service_id) or _cell(r.purpose)),
                      money.number(r.amount_pence), _plain(r.contract_id),
                      f"{_date(r.start_date)} to {_date(r.end_date)}",
                      f"{r.days_outside:,} {r.side}")
    out.print(table if len(rows) else "No payment to a contracted supplier falls outside its "
              "contracts' dates.")


def _contracts_matches(con, limit: int) -> None:
    rows = query(con, "contract_supplier_matches", limit=limit)
    table = Table("payee (payments)", "supplier (register)", "match", "score", "lines", "£",
                  title=f"Suppliers matched other than letter for letter (first {limit})")
    for r in rows.itertuples():
        table.add_row(_plain(r.payee), _plain(r.supplier), _plain(r.match), f"{r.score:.1f}",
                      f"{r.lines:,}", money.number(r.pence))
    out.print(table if len(rows) else "Every supplier matched its payee letter for letter.")


def _contracts_quarantined(con, limit: int) -> None:
    rows = query(con, "contract_quarantine_rows", limit=limit)
    table = Table("file", "line", "reference", "reason", "value as written",
                  title=f"Register rows not accepted (first {limit})")
    for r in rows.itertuples():
        table.add_row(_plain(r.source_file), str(r.source_row), _plain(_cell(r.contract_id)),
                      _plain(r.reason), _plain(_cell(r.value_text)))
    out.print(table if len(rows) else "No register row was quarantined.")


_CONTRACT_LISTS = {"unmatched": _contracts_unmatched, "outside": _contracts_outside,
                   "matches": _contracts_matches, "quarantined": _contracts_quarantined}


def _cell(value) -> str:
    """A value of a listing as text, blank for a missing one (None or NaN)."""
    return "" if value is None or value != value else str(value)


def _date(value) -> str:
    return "open" if value is None or value != value else str(value)[:10]


@app.command()
def accuracy(
    report: Annotated[
        Path, typer.Option(help="Markdown report to write; its chart is written beside it.")
    ] = accuracy_mod.REPORT_PATH,
    key_errors: Annotated[
        Path, typer.Option("--key-errors", help="Measured key error table to write (CSV).")
    ] = accuracy_mod.KEY_ERRORS_PATH,
) -> None:
    """Test every apportionment key against 2011 Census truth, beside tobler's area weighting."""
    export.check_output_file(report, "--report")  # before the long work, not after it
    export.check_output_file(key_errors, "--key-errors")
    with (err.status("Pushing census counts down through every key…"),
          export.writing_into(report.parent, "--report"),
          export.writing_into(key_errors.parent, "--key-errors")):
        result = accuracy_mod.refresh_accuracy(report_path=report, key_errors_path=key_errors)
    for line in accuracy_mod.summary_lines(result):
        out.print(line)
    out.print(f"Wrote {report} and {key_errors}")


mapping_app = typer.Typer(help="Column mappings for other councils' spend files.",
                          no_args_is_help=True)
app.add_typer(mapping_app, name="mapping")


@mapping_app.command("suggest")
def mapping_suggest(
    spend_file: Annotated[Path, typer.Argument(help="A council's spend export (CSV).")],
    write: Annotated[
        Path | None, typer.Option("--out", help="Write the mapping here (YAML) as well.")
    ] = None,
) -> None:
    """Guess a column mapping from the file's header and values, with the evidence."""
    from placespend import suggest

    if not spend_file.is_file():
        msg = f"{spend_file}: no such file; give the path of a spend export."
        raise PlacespendError(msg)
    guess = suggest.suggest_mapping(spend_file)
    text = guess.yaml()
    out.print(_plain(text), end="", soft_wrap=True, highlight=False)
    if write is not None:
        write.write_text(text, encoding="utf-8")
        err.print(_plain(f"Wrote {write}; check it, then: placespend build --spend "
                         f"{spend_file} --mapping {write}"), soft_wrap=True)
    if guess.missing:
        msg = (f"{spend_file}: no column found for {', '.join(guess.missing)}; name them in the "
               "mapping by hand (the guesses above are a start).")
        raise PlacespendError(msg)


POT_FORMATS = ("csv", "json", "pb", "pdf")


@app.command("pot")
def pot_cmd(
    estate: Annotated[str, typer.Option(help="Estate id or a unique part of its name.")],
    home: Home = None,
    year: Year = None,
    scenario: Annotated[
        str | None,
        typer.Option(help="A scenario saved with this data set (from the PB page); default: "
                     "the catalogue's delegable services as they are now."),
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="csv, json, pb, pdf, comma-separated, or all.")
    ] = "all",
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write into.")] = Path("."),
) -> None:
    """Write a participatory budgeting pot: the brief (CSV, JSON with Decidim and CONSUL
    shapes), the pabulib ballot file (.pb) and a PDF (the meeting pack with --scenario)."""
    from placespend import meeting, pb_files, pot, scenarios

    asked = {p.strip().lower() for p in fmt.split(",") if p.strip()}
    asked = set(POT_FORMATS) if "all" in asked else asked
    if not asked or asked - set(POT_FORMATS):
        msg = (f"--format must be csv, json, pb, pdf (comma-separated for several) or all, "
               f"not '{fmt}'.")
        raise PlacespendError(msg)
    with _open(home) as con:
        estate_id = reads.resolve_estate(con, estate)
        if scenario is None:
            financial_year = _choose_year(con, year)
            if financial_year is None:
                raise PlacespendError("The store holds no spend to size a pot from; build it "
                                      "with spend first.")
            chosen = scenarios.Scenario(
                name="As now", estate_id=estate_id,
                financial_year=financial_year,
                service_ids=tuple(pot.delegable_services(con)))
        else:
            chosen = scenarios.ScenarioBook(paths.db_path(home)).get(scenario)
            if chosen.estate_id != estate_id or (year and chosen.financial_year != year):
                msg = (f"Scenario '{scenario}' is for {chosen.estate_id}, "
                       f"{chosen.financial_year}: give that --estate and --year, or another "
                       "scenario.")
                raise PlacespendError(msg)
        plan = scenarios.plan(con, chosen)
    writers = {
        "csv": lambda: pot.pot_brief_csv(plan.pot),
        "json": lambda: pot.pot_brief_json(plan.pot),
        "pb": lambda: pb_files.pabulib(plan),
        "pdf": lambda: (meeting.meeting_pack_pdf([plan]) if scenario
                        else pot.pot_brief_pdf(plan.pot)),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = export.labelled_name(
        DEMO_LABEL if plan.pot.is_demo else "",
        f"pot_{estate_id}_{plan.pot.financial_year}" + (f"_{scenario}" if scenario else ""))
    if plan.pot.is_demo:
        out.print(f"[bold yellow]⚠ {DEMO_LABEL}[/]")
    for kind in (k for k in POT_FORMATS if k in asked):
        path = _inside(out_dir, f"{stem}.{kind}")
        path.write_bytes(writers[kind]())
        out.print(_plain(f"Wrote {path}"), soft_wrap=True)
    out.print(_plain(f"Pot {money.exact(plan.pot_pence)}: service lines "
                     f"{money.exact(plan.services_pence)}, ideas pot "
                     f"{money.exact(plan.ideas_pence)}."))


POOL_FORMATS = ("csv", "xlsx")


@app.command("pool")
def pool_cmd(
    name: Annotated[str, typer.Argument(help="A pool saved on the System financing page.")],
    home: Home = None,
    fmt: Annotated[
        str, typer.Option("--format", help="csv, xlsx, comma-separated, or all.")
    ] = "all",
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write into.")] = Path("."),
) -> None:
    """Write a saved system financing pool: the chosen services' spend on the chosen estates,
    each service's contribution and its share of the service's borough-wide spend (CSV, XLSX)."""
    from placespend import pools

    asked = {p.strip().lower() for p in fmt.split(",") if p.strip()}
    asked = set(POOL_FORMATS) if "all" in asked else asked
    if not asked or asked - set(POOL_FORMATS):
        msg = f"--format must be csv, xlsx (comma-separated for both) or all, not '{fmt}'."
        raise PlacespendError(msg)
    with _open(home) as con:
        result = pools.work_out(con, pools.PoolBook(paths.db_path(home)).get(name))
        writers = {"csv": pools.csv_bytes(con, result), "xlsx": pools.xlsx_bytes(con, result)}
        demo = reads.is_demo(con)
    out_dir.mkdir(parents=True, exist_ok=True)
    if demo:
        out.print(f"[bold yellow]⚠ {DEMO_LABEL}[/]")
    stem = (export.DEMO_FILE_PREFIX if demo else "") + export.safe_filename(f"pool_{name}")
    for kind in (k for k in POOL_FORMATS if k in asked):
        path = _inside(out_dir, f"{stem}.{kind}")
        path.write_bytes(writers[kind])
        out.print(_plain(f"Wrote {path}"))
    out.print(_plain(f"Pool {money.gbp(result.total_pence)} GBP over "
                     f"{len(result.by_estate)} estates and {len(result.by_service)} services."))


# residents' priorities and vote results (their own module, to keep this one short)
from placespend._cli_priorities import priorities_app, vote_result  # noqa: E402

app.add_typer(priorities_app, name="priorities")
app.command("vote-result")(vote_result)


def main() -> None:
    """Entry point: run the app, turning user errors into messages (exit status 2).

    The message is printed as plain text (file contents it quotes are never read as markup or
    obeyed as terminal controls) and is not re-wrapped, so file names stay whole in logs.
    """
    try:
        app()
    except PlacespendError as exc:
        err.print(Text.assemble(("error:", "bold red"), " ", _plain(exc)), soft_wrap=True,
                  highlight=False)
        sys.exit(2)
