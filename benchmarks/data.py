"""Benchmark inputs: Camden-format spend at any multiple of Camden's real size.

Camden's real export is not shipped, so the benchmark draws its payment lines from the seeded
synthetic demo (:func:`placespend.demo.write_demo`, which has Camden's labels, redactions,
starred payees, levies and contracts register) and resamples it, vectorised, to the real
file's size:

* the demo is written for the financial years 2019-20 to 2026-27 and cut to Camden's window,
  16 Sep 2019 to 28 Aug 2026 (84 months);
* ``n`` lines are drawn uniformly from it (so months, services, payees, contract links and the
  redaction share keep the demo's proportions), each amount jittered (log-normal, sigma 0.15)
  and scaled so the file's signed sum is Camden's, £5,620,030,075.32 per 416,000 lines; lines
  that would fall under £500 become £500-£1,000, as in the published file;
* dates are written ``dd/mm/yyyy`` with 15% of them bare (``7/9/2020``) and every line gets a
  ``mon-yy-n`` Unique Identifier, unique per month.

The same scale and seed give byte-identical files, cached under ``benchmarks/.cache/``.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from placespend import boundaries, catalogue, demo

BENCH_DIR = Path(__file__).resolve().parent
CACHE_DIR = BENCH_DIR / ".cache"
SQL_DIR = BENCH_DIR / "sql"
GENERATOR_VERSION = 1  # bump when the output of write_spend changes


@dataclass(frozen=True)
class RealSize:
    """Published facts about Camden's export (``../shared/data/README.md``)."""

    rows: int = 416_000
    first: date = date(2019, 9, 16)
    last: date = date(2026, 8, 28)
    total_pence: int = 562_003_007_532
    size_bytes: int = 96_000_000  # "about 96 MB"
    busiest_month_rows: int = 6_679


CAMDEN = RealSize()
MIN_LINE_PENCE = demo.MIN_LINE_PENCE
TEMPLATE_YEARS = tuple(f"{y}-{(y + 1) % 100:02d}" for y in range(2019, 2027))


@dataclass(frozen=True)
class SpendInput:
    """One generated spend export and the contracts register it links to."""

    scale: float
    spend: Path
    contracts: Path
    rows: int
    total_pence: int
    size_bytes: int
    months: int
    busiest_month_rows: int
    redacted_share: float

    def as_json(self) -> dict[str, object]:
        """JSON-ready description (paths as text)."""
        return {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()}


def write_spend(
    scale: float,
    *,
    cache: Path = CACHE_DIR,
    seed: int = 2030,
    rows: int | None = None,
) -> SpendInput:
    """Write (or reuse) a Camden-format export of ``scale`` × Camden's 416,000 lines.

    Parameters
    ----------
    scale
        Multiple of Camden's real size (1 = 416,000 lines, 10 = 4.16 million).
    cache
        Folder for the template and the generated files (git-ignored).
    seed
        Seed of the demo template and of the draws.
    rows
        Exact number of lines, overriding ``scale`` (for tiny smoke runs).

    Returns
    -------
    SpendInput
        The files and their measured size, lines, total and busiest month.

    Notes
    -----
    With template amounts :math:`t_i` and jitter :math:`j_i \\sim \\mathrm{LogN}(0, 0.15)`,
    line :math:`i` is :math:`p_i = \\max(50000, \\mathrm{round}(f \\, t_i j_i))` pence (a
    clipped line gets £500 plus up to £500 instead), with :math:`f` solved so that
    :math:`\\sum_i p_i` is Camden's total scaled to :math:`n`; the last few pence of
    difference go on the largest line.
    """
    n = rows if rows is not None else round(CAMDEN.rows * scale)
    label = f"x{scale:g}" if rows is None else f"n{rows}"
    folder = Path(cache) / f"camden_{label}_seed{seed}"
    stamp = folder / "stamp.json"
    wanted = {"version": GENERATOR_VERSION, "rows": n, "seed": seed, "scale": scale}
    if stamp.exists():
        info = json.loads(stamp.read_text())
        if info.get("wanted") == wanted and Path(info["spend"]["spend"]).exists():
            return SpendInput(**{**info["spend"], "spend": Path(info["spend"]["spend"]),
                                 "contracts": Path(info["spend"]["contracts"])})
    template = _template(Path(cache), seed)
    folder.mkdir(parents=True, exist_ok=True)
    spend = folder / f"SYNTHETIC_BENCH_camden_spend_{label}.csv"
    contracts = folder / "SYNTHETIC_BENCH_contracts.csv"
    shutil.copyfile(template.contracts, contracts)
    result = _resample(template.spend, spend, n, seed, scale)
    result = SpendInput(scale=scale, spend=spend, contracts=contracts, **result)
    stamp.write_text(json.dumps({"wanted": wanted, "spend": result.as_json()}, indent=2))
    return result


CP1252_BYTES = 150_000_000  # the Windows-1252 export of issue 9 that peaked at 1.9 GB
CP1252_LINE_BYTES = 224  # a generated line's average, re-encoded (Camden's published: 231)


def write_cp1252(
    *,
    cache: Path = CACHE_DIR,
    seed: int = 2030,
    size_bytes: int = CP1252_BYTES,
    rows: int | None = None,
) -> SpendInput:
    """Write (or reuse) a Camden-format export of about ``size_bytes`` in Windows-1252.

    The export of :func:`write_spend` at the scale giving that size (``rows`` overrides it, for
    smoke runs), its Organisation Label written ``London Borough of Camden – Café`` (an en
    dash and an é, one byte each in Windows-1252) and the whole file encoded in Windows-1252:
    DuckDB's CSV reader reads only UTF-8, so the careful reader streams all of it. Payees,
    amounts and so the total are the UTF-8 file's.
    """
    scale = round(size_bytes / CP1252_LINE_BYTES / CAMDEN.rows, 2)
    base = write_spend(scale, cache=cache, seed=seed, rows=rows)
    out = base.spend.with_name(base.spend.stem + "_cp1252.csv")
    stamp = out.with_suffix(".json")
    wanted = {"version": GENERATOR_VERSION, "source": base.as_json()}
    if not (out.exists() and stamp.exists() and json.loads(stamp.read_text()) == wanted):
        with base.spend.open(encoding="utf-8", newline="") as src, \
                out.open("w", encoding="cp1252", newline="") as dst:
            for line in src:
                dst.write(line.replace("London Borough of Camden,",
                                       "London Borough of Camden – Café,", 1))
        stamp.write_text(json.dumps(wanted))
    return SpendInput(**{**asdict(base), "spend": out, "size_bytes": out.stat().st_size})


def _template(cache: Path, seed: int) -> demo.DemoFiles:
    """The demo export over 2019-20 .. 2026-27 (about 195,000 lines), written once."""
    folder = cache / f"template_seed{seed}"
    files = demo.DemoFiles(folder / demo.SPEND_FILENAME, folder / demo.CONTRACTS_FILENAME, ())
    if files.spend.exists() and files.contracts.exists():
        return files
    bounds = boundaries.load_boundaries()
    return demo.write_demo(
        folder,
        catalogue.load_catalogue(None),
        ward_codes=sorted(bounds.wards["ward_code"]),
        estate_ids=sorted(bounds.estates["estate_id"]),
        seed=seed,
        years=TEMPLATE_YEARS,
    )


def _resample(template: Path, out: Path, n: int, seed: int, scale: float, *,
              id_prefix: str = "") -> dict[str, object]:
    con = duckdb.connect()
    con.execute(
        """
        create table template as
        select row_number() over () - 1 as tpl_row, *
        from (
            select cast(strptime("Payment Date", '%d/%m/%Y') as date) as payment_date, *
            from read_csv($path, all_varchar = true, header = true)
        )
        where payment_date between $first and $last
        """,
        {"path": str(template), "first": CAMDEN.first, "last": CAMDEN.last},
    )
    tpl_pence = np.array(
        con.execute(
            "select cast(replace(\"Amount GBP\", '.', '') as bigint) from template order by tpl_row"
        ).fetchnumpy()[next(iter(con.description))[0]]
    )
    rng = np.random.default_rng([seed, n])
    tpl_row = rng.integers(0, len(tpl_pence), size=n)
    raw = tpl_pence[tpl_row] * rng.lognormal(0.0, 0.15, size=n)
    lifted = MIN_LINE_PENCE + rng.integers(0, MIN_LINE_PENCE, size=n)
    target = round(CAMDEN.total_pence * n / CAMDEN.rows)
    pence = _scaled(raw, lifted, target)
    bare = rng.random(n) < 0.15
    con.register(
        "draws",
        pa.table({"out_row": np.arange(n), "tpl_row": tpl_row, "pence": pence, "bare": bare}),
    )
    last = con.execute(
        "select max(t.payment_date) from draws d join template t using (tpl_row)"
    ).fetchone()[0]
    sql = (SQL_DIR / "spend_resample.sql").read_text(encoding="utf-8")
    con.execute(f"copy ({sql}) to '{_quoted(out)}' (header true, delimiter ',')",
                {"last_date": last, "id_prefix": id_prefix})
    facts = con.execute(
        """
        select count(distinct (year(t.payment_date), month(t.payment_date))),
               max(c), avg(regexp_matches(t."Beneficiary Name", 'redacted', 'i')::int)
        from draws d join template t using (tpl_row)
        cross join (select max(c) as c from (
            select count(*) as c from draws d join template t using (tpl_row)
            group by year(t.payment_date), month(t.payment_date)))
        """
    ).fetchone()
    con.close()
    return {
        "rows": n,
        "total_pence": int(pence.sum()),
        "size_bytes": out.stat().st_size,
        "months": int(facts[0]),
        "busiest_month_rows": int(facts[1]),
        "redacted_share": round(float(facts[2]), 4),
    }


def _scaled(raw: np.ndarray, lifted: np.ndarray, target: int) -> np.ndarray:
    """Integer pence ``round(f * raw)`` (``lifted`` where under £500) summing to ``target``."""
    factor = target / raw.sum()
    for _ in range(4):  # the lifted small lines add a little; re-solve for the rest
        pence = np.round(raw * factor).astype(np.int64)
        small = pence < MIN_LINE_PENCE
        pence[small] = lifted[small]
        rest = target - int(pence[small].sum())
        factor = rest / raw[~small].sum()
    pence[np.argmax(pence)] += target - int(pence.sum())
    return pence


def _quoted(path: Path) -> str:
    """A path for COPY ... TO (COPY takes no parameter for its target)."""
    return str(path).replace("'", "''")
