"""The ``placespend priorities`` commands and ``placespend vote-result``: residents' priorities
checked, kept with a data set and set beside its spend; a vote's result made next year's pot.

Registered on the main app by :mod:`placespend.cli`, which turns errors into messages.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from placespend import export, money, paths, reads, safe_text, store
from placespend import priorities as prio
from placespend.errors import PlacespendError

out = Console()

Home = Annotated[
    Path | None,
    typer.Option("--home", envvar=paths.HOME_ENV,
                 help="Folder holding the DuckDB store (default: .placespend/ in the project)."),
]
Year = Annotated[
    str | None,
    typer.Option("--year", help="UK financial year, e.g. 2024-25 (default: the latest)."),
]
Estate = Annotated[
    str | None,
    typer.Option("--estate", help="For a .pb file: the estate that voted (default: its META "
                 "estate_id or subunit)."),
]
File = Annotated[Path, typer.Argument(help="A priorities CSV or a pabulib .pb file.")]

priorities_app = typer.Typer(
    help="Residents' priorities (surveys, consultations, PB votes) beside where spend goes.",
    no_args_is_help=True)


def _plain(text: object) -> Text:
    return Text(safe_text.visible(text))


def _open(home: Path | None):
    return store.connect(paths.db_path(home))


def _year(con, year: str | None) -> str:
    chosen = reads.check_year(con, year) if year else reads.default_year(con).year
    if chosen is None:
        msg = "The store holds no spend to set the priorities beside; build it with spend."
        raise PlacespendError(msg)
    return chosen


def _synthetic_banner(found: prio.Priorities) -> None:
    if found.is_synthetic:
        out.print(f"[bold yellow]⚠ {prio.SYNTHETIC}: these priorities are made up.[/]")


def _show(con, found: prio.Priorities, year: str) -> None:
    _synthetic_banner(found)
    for estate_id in dict.fromkeys(found.rows["estate_id"]):
        comparison = prio.compare(con, found, estate_id, year)
        for (source, date), survey in comparison.table.groupby(["source", "date"], sort=False):
            table = Table(title=_plain(f"{comparison.estate_name}: {source} ({date}), beside "
                                       f"the estate's spend in {year}"), title_justify="left")
            for col in ("rank", "priority", "in words"):
                table.add_column(col)
            for r in survey.itertuples():
                table.add_row(str(r.rank), _plain(r.priority), _plain(r.said))
            out.print(table)
        for gap in comparison.gaps:
            out.print(_plain(gap))


@priorities_app.command("check")
def check(path: File, home: Home = None, year: Year = None, estate: Estate = None) -> None:
    """Check a priorities file row by row and show it beside the estates' spend (nothing is
    kept)."""
    with _open(home) as con:
        found = prio.read_file(path, con, estate=estate)
        _show(con, found, _year(con, year))
    out.print(_plain(f"{path.name}: {len(found.rows)} priorities in "
                     f"{len(found.surveys())} survey(s), all rows valid."))


@priorities_app.command("import")
def import_cmd(path: File, home: Home = None, estate: Estate = None) -> None:
    """Check a priorities file and keep it with the data set (priorities/ beside the store),
    where the dashboard's Estate page and the estate XLSX and PDF find it."""
    book = prio.PriorityBook(paths.db_path(home))
    with _open(home) as con:
        found = book.save(path, con, estate=estate)
    _synthetic_banner(found)
    out.print(_plain(f"Kept {len(found.rows)} priorities from {path.name} in {book.folder}."))


@priorities_app.command("list")
def list_cmd(home: Home = None) -> None:
    """The priorities files kept with the data set, and their surveys."""
    book = prio.PriorityBook(paths.db_path(home))
    with _open(home) as con:
        found = book.load(con)
    if found.rows.empty:
        out.print("No priorities are kept with this data set: `placespend priorities import "
                  "FILE` adds one.")
        return
    _synthetic_banner(found)
    table = Table(title=f"Priorities kept in {book.folder}")
    for col in ("file", "estate", "source", "date", "respondents", "priorities"):
        table.add_column(col)
    for s in found.surveys().itertuples():
        table.add_row(_plain(s.file), _plain(s.estate_name), _plain(s.source), _plain(s.date),
                      f"{s.respondents:,}", str(s.priorities))
    out.print(table)


@priorities_app.command("remove")
def remove(name: Annotated[str, typer.Argument(help="The kept file's name (see list).")],
           home: Home = None) -> None:
    """Stop keeping a priorities file with the data set."""
    prio.PriorityBook(paths.db_path(home)).remove(name)
    out.print(_plain(f"Removed {name}."))


@priorities_app.command("across")
def across(home: Home = None, year: Year = None) -> None:
    """Estates where residents' top priority gets the smallest share of spend, smallest first."""
    with _open(home) as con:
        found = prio.PriorityBook.of(con).load(con)
        year = _year(con, year)
        table = prio.across_estates(con, found, year)
    _synthetic_banner(found)
    shown = Table(title=f"Residents' top priority and its share of spend, {year}")
    for col in ("estate", "top priority", "in words", "source", "date"):
        shown.add_column(col)
    for r in table.itertuples():
        shown.add_row(_plain(r.estate_name), _plain(r.priority), _plain(r.said),
                      _plain(r.source), _plain(r.date))
    out.print(shown)


@priorities_app.command("template")
def template(
    write: Annotated[Path, typer.Option("--out", help="Write the file here.")],
    demo: Annotated[bool, typer.Option("--demo", help="The labelled synthetic demo file "
                                       "instead of the empty template.")] = False,
) -> None:
    """Write the empty priorities template (or, with --demo, the synthetic demo file)."""
    source = prio.shipped_file("demo" if demo else "template")
    export.write_file(source.read_bytes(), write, "--out")
    out.print(_plain(f"Wrote {write}" + (f" ({prio.SYNTHETIC})" if demo else "")))


def vote_result(
    path: Annotated[Path, typer.Argument(help="The pabulib .pb file after the vote.")],
    home: Home = None,
    estate: Estate = None,
    name: Annotated[str | None, typer.Option(
        help="The scenario's name (default: '<next year>: from the <year> vote').")] = None,
    overwrite: Annotated[bool, typer.Option(help="Save over a scenario of that name.")] = False,
) -> None:
    """Turn a vote's result (.pb) into next year's PB scenario, saved with the data set: the
    winning ideas and the file's service lines, totals equal to the ballot's."""
    from placespend import pb_votes, scenarios

    with _open(home) as con:
        decided = pb_votes.result(path, con, estate=estate)
        scenario = pb_votes.next_scenario(con, decided, name)
        plan = scenarios.plan(con, scenario)
    if (plan.pot_pence, plan.services_pence, plan.ideas_pence) != (
            decided.pot_pence, decided.services_pence, decided.ideas_pence):
        msg = f"{path.name}: the scenario's totals differ from the ballot's; nothing was saved."
        raise PlacespendError(msg)
    saved = scenarios.ScenarioBook(paths.db_path(home)).save(scenario, overwrite=overwrite)
    won = decided.winners
    out.print(_plain(f"Winners ({decided.how}): "
                     + ("; ".join(f"{r.name} {money.exact(int(r.cost_pence))}"
                                  for r in won.itertuples()) or "none")))
    out.print(_plain(f"Saved scenario '{saved.name}' for {decided.estate_id}: pot "
                     f"{money.exact(plan.pot_pence)}, service lines "
                     f"{money.exact(plan.services_pence)}, ideas pot "
                     f"{money.exact(plan.ideas_pence)} ({money.exact(int(won['cost_pence'].sum()))}"
                     " of it to the winning ideas), as the ballot's. Open it on the PB pot page "
                     "or with `placespend pot --scenario`."))
