"""London's scale (issue 18, item 3): every London borough's spend in one build, and 30× Camden.

**london_build.** The London geography of :mod:`benchmarks.london` (4,994 LSOAs as small
areas, the 33 boroughs as its wards, generated estates and context layers) and one
Camden-size export per borough (416,000 lines each, 13.7 million in all), with one contracts
register for them all, built by :func:`placespend.build.build` from scratch under the default
memory cap. Each borough's export is drawn from the same demo template as
:func:`benchmarks.data.write_spend`, with:

* its own draws (seed ``seed + i`` for the i-th borough), Organisation Label and URI;
* its own Unique Identifiers: the Camden preset declares ``Unique Identifier`` a unique key,
  and every resampled file numbers its lines ``mon-yy-n`` from 101 each month, so without a
  prefix (the borough's code) every file after the first would be quarantined as repeats;
* its payees tagged ``B07 …`` (the borough's number), in its spend and its contracts alike, so
  a borough's lines link to its own contracts, not to 33 copies of the same supplier (which
  ``03_int_linked`` would call ambiguous and leave borough-wide).

Each borough's contracts are the template's, re-scoped to that borough: a borough-wide
contract or a ward lot becomes a contract on the borough (a "ward" of the London geography:
its GSS code), an estate contract goes to one of the borough's generated estates (Camden's
i-th estate to its ``i mod n``-th; the borough itself when it has none). The ids are prefixed
with the borough's code. Lines with no contract are spread over all of London, as the
geography's borough is London.

**x30.** Camden's export at 30× (12.5 million lines, one file), against the shipped Camden
boundaries, for the floor, the spend pipeline and the whole build: with the 1× and 10× figures
of the same run (or the last full run), time per line says whether growth is linear.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb
import geopandas as gpd
import pandas as pd

from benchmarks import data
from benchmarks.measure import Body, stage

SQL_DIR = Path(__file__).resolve().parent / "sql"
SPEND_VERSION = 1  # bump when the output of write_london_spend changes
LONDON_CODE = "E12000007"  # the London region: the build's "borough"
LONDON_NAME = "London (33 boroughs, synthetic spend)"
X30 = 30.0


@dataclass(frozen=True)
class BoroughSpend:
    """One borough's generated export."""

    code: str
    name: str
    tag: str
    spend: str
    rows: int
    total_pence: int
    size_bytes: int


@dataclass(frozen=True)
class LondonSpend:
    """Every borough's export and the one contracts register of them all."""

    boroughs: tuple[BoroughSpend, ...]
    contracts: str
    contracts_rows: int

    @property
    def rows(self) -> int:
        return sum(b.rows for b in self.boroughs)

    @property
    def total_pence(self) -> int:
        return sum(b.total_pence for b in self.boroughs)

    def as_json(self) -> dict[str, Any]:
        """JSON-ready description, with the totals."""
        return {**asdict(self), "rows": self.rows, "total_pence": self.total_pence,
                "size_bytes": sum(b.size_bytes for b in self.boroughs)}


def write_london_spend(layers: Path, *, cache: Path = data.CACHE_DIR, seed: int = 2030,
                       rows: int | None = None) -> LondonSpend:
    """Write (or reuse) one Camden-size export per borough of ``layers`` and their register.

    Parameters
    ----------
    layers
        A folder written by :func:`benchmarks.london.write_layers` (its wards are boroughs).
    cache
        Folder for the template and the generated files (git-ignored).
    seed
        Seed of the template; the i-th borough's draws use ``seed + i``.
    rows
        Lines per borough instead of Camden's 416,000 (smoke runs).
    """
    n = rows if rows is not None else data.CAMDEN.rows
    wards = gpd.read_parquet(Path(layers) / "wards.parquet").sort_values("ward_code")
    estates = _estates_by_borough(Path(layers), wards)
    label = f"london{len(wards)}_n{n}_seed{seed}"
    folder = Path(cache) / label
    stamp = folder / "stamp.json"
    wanted = {"version": SPEND_VERSION, "data_version": data.GENERATOR_VERSION, "rows": n,
              "seed": seed, "layers": json.loads((Path(layers) / "stamp.json").read_text())}
    if stamp.exists():
        info = json.loads(stamp.read_text())
        if info.get("wanted") == wanted and all(Path(b["spend"]).exists()
                                                for b in info["spend"]["boroughs"]):
            return _from_json(info["spend"])
    folder.mkdir(parents=True, exist_ok=True)
    template = data._template(Path(cache), seed)
    camden_estates = sorted(_camden_estate_ids())
    out, registers = [], []
    for i, (code, name) in enumerate(zip(wards["ward_code"], wards["ward_name"], strict=True)):
        tag = f"B{i + 1:02d} "
        tpl = folder / f"template_{code}.csv"
        _borough_template(template.spend, tpl, name, code, tag)
        spend = folder / f"SYNTHETIC_BENCH_{code}_spend.csv"
        facts = data._resample(tpl, spend, n, seed + i, 1.0, id_prefix=f"{code.lower()}-")
        tpl.unlink()
        out.append(BoroughSpend(code=code, name=name, tag=tag, spend=str(spend), rows=n,
                                total_pence=int(facts["total_pence"]),
                                size_bytes=int(facts["size_bytes"])))
        registers.append(_borough_contracts(template.contracts, code, tag,
                                            estates.get(code, []), camden_estates))
    contracts = folder / "SYNTHETIC_BENCH_london_contracts.csv"
    register = pd.concat(registers, ignore_index=True)
    register.to_csv(contracts, index=False)
    result = LondonSpend(tuple(out), str(contracts), len(register))
    stamp.write_text(json.dumps({"wanted": wanted, "spend": asdict(result)}, indent=1))
    return result


def _from_json(info: dict[str, Any]) -> LondonSpend:
    return LondonSpend(tuple(BoroughSpend(**b) for b in info["boroughs"]), info["contracts"],
                       info["contracts_rows"])


def _estates_by_borough(layers: Path, wards: gpd.GeoDataFrame) -> dict[str, list[str]]:
    """Each borough's estate ids, sorted (the borough holding the estate's inner point)."""
    estates = gpd.read_parquet(layers / "estates.parquet")
    points = gpd.GeoDataFrame({"estate_id": estates["estate_id"]},
                              geometry=estates.geometry.representative_point(), crs=estates.crs)
    joined = points.sjoin(wards[["ward_code", "geometry"]], predicate="within")
    return {code: sorted(group["estate_id"]) for code, group in joined.groupby("ward_code")}


def _camden_estate_ids() -> list[str]:
    from placespend import boundaries

    return list(boundaries.load_boundaries().estates["estate_id"])


def _borough_template(template: Path, out: Path, name: str, code: str, tag: str) -> None:
    con = duckdb.connect()
    con.execute("create table template_csv as "
                "select * from read_csv($path, all_varchar = true, header = true)",
                {"path": str(template)})
    sql = (SQL_DIR / "borough_template.sql").read_text(encoding="utf-8")
    uri = f"http://statistics.data.gov.uk/id/statistical-geography/{code}"
    con.execute(f"copy ({sql}) to '{data._quoted(out)}' (header true, delimiter ',')",
                {"label": name, "uri": uri, "tag": tag})
    con.close()


def _borough_contracts(template: Path, code: str, tag: str, estates: list[str],
                       camden_estates: list[str]) -> pd.DataFrame:
    """The template's register re-scoped to borough ``code`` (see the module's docstring)."""
    frame = pd.read_csv(template, dtype=str, keep_default_na=False)
    frame["contract_id"] = code + "-" + frame["contract_id"]
    frame["supplier"] = tag + frame["supplier"]
    on_estate = (frame["scope_type"] == "estate") & bool(estates)
    index = {e: i for i, e in enumerate(camden_estates)}
    frame.loc[on_estate, "scope_code"] = [estates[index.get(c, 0) % len(estates)]
                                          for c in frame.loc[on_estate, "scope_code"]]
    frame.loc[~on_estate, "scope_type"] = "ward"
    frame.loc[~on_estate, "scope_code"] = code
    return frame


def _conservation(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """Per file: rows and pence read, accepted, quarantined; where contract-linked lines went."""
    files = con.execute(
        "select source_file, rows_read, rows_accepted, rows_quarantined, accepted_pence, "
        "quarantined_pence from ingest_summary order by source_file").fetchall()
    linked = con.execute(
        """
        select p.source_file, count(*) as linked_lines,
               count(*) filter (where s.scope_type = 'ward') as on_borough,
               count(*) filter (where s.scope_type = 'estate') as on_estate,
               list(distinct s.scope_code) filter (where s.scope_type = 'ward') as boroughs
        from spend_lines as s inner join payments as p using (row_id)
        where s.contract_id is not null
        group by 1
        """).fetchall()
    (placed, excluded) = con.execute(
        "select (select sum(amount_pence) from place_spend), "
        "(select sum(amount_pence) from excluded_spend)").fetchone()
    by_file = {r[0]: {"linked_lines": r[1], "on_borough": r[2], "on_estate": r[3],
                      "link_boroughs": sorted(r[4] or [])} for r in linked}
    return {
        "files": [{"source_file": Path(f).name, "rows_read": r, "rows_accepted": a,
                   "rows_quarantined": q, "accepted_pence": ap, "quarantined_pence": qp,
                   **by_file.get(f, {"linked_lines": 0})}
                  for f, r, a, q, ap, qp in files],
        "place_spend_pence": int(placed or 0),
        "excluded_pence": int(excluded or 0),
    }


@stage("london_build")
def london_build(spec: dict[str, Any]) -> Body:
    """A whole build of every borough's export on the London geography (nothing reused)."""
    from placespend import build, store

    home = Path(spec["scratch"]) / "home"
    inputs = build.BuildInputs(
        spend=tuple(Path(p) for p in spec["spend_files"]), contracts=Path(spec["contracts"]),
        boundaries=Path(spec["london"]), borough_code=LONDON_CODE, borough_name=LONDON_NAME)

    def body() -> dict[str, Any]:
        start = time.perf_counter()
        result = build.build(home, inputs, cache_dir=False)
        build_s = time.perf_counter() - start
        con = store.connect(result.db_path)
        try:
            checks = _conservation(con)
        finally:
            con.close()
        return {"ok": result.reconciliation.ok, "rows_read": result.reconciliation.rows_read,
                "build_s": build_s, "memory_limit": store.memory_limit(),
                "store_mb": result.db_path.stat().st_size / 2**20, **checks}

    return body


@stage("prepare_ref")
def prepare_ref(spec: dict[str, Any]) -> Body:
    """Not measured for the report: writes ``ref`` (the reference tables of the shipped
    geography, as a build writes them before ingest) for ``spend_pipeline``."""
    from placespend import atoms, boundaries, build, catalogue, geography, paths

    ref = Path(spec["ref"])

    def body() -> dict[str, Any]:
        ref.parent.mkdir(parents=True, exist_ok=True)
        cat = catalogue.load_catalogue(None)
        b = boundaries.load_boundaries(paths.BOUNDARIES_DIR)
        table = atoms.build_atoms(b)
        b.estates = atoms.estate_estimates(b, table)
        ref.unlink(missing_ok=True)
        con = duckdb.connect(str(ref))
        build._write_reference(con, cat, b, table)
        con.close()
        return {"borough_code": geography.from_boundaries(b).borough_code}

    return body
