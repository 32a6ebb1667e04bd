"""Seeded synthetic demo: a Camden-format spend export and a contracts register.

Everything written here is invented (see ``docs/DEMO_DATA.md``) and every output built from it
is labelled :data:`DEMO_LABEL`. The files have the shape of the real inputs so the whole
pipeline can be run and tested without Camden's export: Camden's 15 columns and date quirks,
redacted and starred payees, one empty payee, levies and payroll lines, labels no rule
matches, and contracts let borough-wide, by ward lot and for single estates.

Output is a pure function of the arguments: the same seed gives byte-identical files.
"""

from __future__ import annotations

import calendar
import csv
import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from placespend import _demo_specs as specs
from placespend import _digest, _texts
from placespend.catalogue import Catalogue
from placespend.errors import PlacespendError
from placespend.register import CONTRACT_COLUMNS

SPEND_FILENAME = "SYNTHETIC_DEMO_camden_spend.csv"
CONTRACTS_FILENAME = "SYNTHETIC_DEMO_contracts.csv"
DEMO_LABEL = _texts.DEMO_LABEL  # kept in _texts so the read side need not import the demo
STAMP_FILENAME = ".inputs.json"  # what the files were made from (see ensure_demo)

SPEND_COLUMNS: tuple[str, ...] = (
    "Organisation Label",
    "Organisation URI",
    "Payment Date",
    "Payment Month",
    "Payment Year",
    "Financial Year",
    "Beneficiary Name",
    "Purpose",
    "Organisational Unit",
    "Amount GBP",
    "Irrecoverable VAT Amount GBP",
    "Latest Financial Year",
    "Latest Year",
    "Latest Month",
    "Unique Identifier",
)
MIN_LINE_PENCE = 500_00  # Camden publishes lines of £500 and over only


@dataclass(frozen=True)
class DemoFiles:
    """What :func:`write_demo` wrote: the two files and, per financial year, rows and pence."""

    spend: Path
    contracts: Path
    years: tuple[tuple[str, int, int], ...]  # (financial_year, rows, total_pence)

    @property
    def rows(self) -> int:
        """Spend rows written."""
        return sum(r for _, r, _ in self.years)

    @property
    def total_pence(self) -> int:
        """Sum of every spend row, in pence."""
        return sum(p for _, _, p in self.years)


@dataclass(frozen=True)
class _Contract:
    contract_id: str
    title: str
    supplier: str
    service: str
    org_unit: str
    purpose: str
    scope_type: str
    scope_code: str
    annual_pence: int
    start: date
    end: date


@dataclass
class _Row:
    day: date
    payee: str
    purpose: str
    org_unit: str
    pence: int
    redacted: bool = False


def write_demo(
    out_dir: Path,
    catalogue: Catalogue,
    ward_codes: list[str],
    estate_ids: list[str],
    *,
    seed: int = 2030,
    years: tuple[str, ...] = ("2023-24", "2024-25"),
) -> DemoFiles:
    """Write the synthetic spend export and contracts register into ``out_dir``.

    Parameters
    ----------
    out_dir
        Folder to write ``SYNTHETIC_DEMO_camden_spend.csv`` and
        ``SYNTHETIC_DEMO_contracts.csv`` into (created if missing; files are overwritten).
    catalogue
        Every service in it gets spend; services the demo has no labels for get lines labelled
        with the service's name and directorate, which the user's rules may not match.
    ward_codes, estate_ids
        The only codes the contracts register may name for ward lots and estate contracts.
    seed
        Seed for the random generator; the same seed and arguments give byte-identical files.
    years
        UK financial years (April to March) written as ``2024-25``.

    Returns
    -------
    DemoFiles
        The paths written and the rows and total pence per financial year.
    """
    fys = [_parse_fy(y) for y in years]
    if not fys or any(a[0] >= b[0] for a, b in zip(fys, fys[1:], strict=False)):
        msg = f"write_demo: years {years!r} must be one or more financial years in order."
        raise PlacespendError(msg)
    if not ward_codes:
        msg = "write_demo: no ward codes given; pass the ward_code column of wards.parquet."
        raise PlacespendError(msg)
    rng = np.random.default_rng(seed)
    names = _Names(rng)
    contracts = _contracts(rng, names, catalogue, sorted(ward_codes), sorted(estate_ids), fys)
    rows: list[_Row] = []
    for i, (start, end) in enumerate(fys):
        growth = specs.GROWTH_PER_YEAR**i
        rows += _year_rows(rng, names, catalogue, contracts, start, end, growth)
    _mark_payees(rng, rows, names.starrable)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    spend = out_dir / SPEND_FILENAME
    contracts_path = out_dir / CONTRACTS_FILENAME
    summary = _write_spend(rng, spend, rows, fys, years)
    _write_contracts(contracts_path, contracts)
    return DemoFiles(spend=spend, contracts=contracts_path, years=summary)


def ensure_demo(
    out_dir: Path,
    catalogue: Catalogue,
    ward_codes: list[str],
    estate_ids: list[str],
) -> tuple[DemoFiles, bool]:
    """The files :func:`write_demo` would write into ``out_dir`` (default seed and years), and
    whether they were already there.

    Since the output is a pure function of the arguments and the code, files written by an
    earlier build are kept when a stamp beside them records the same catalogue, codes and
    code, and the files' SHA-256 still match it; otherwise they are written again.
    """
    out_dir = Path(out_dir)
    key = _demo_key(catalogue, ward_codes, estate_ids)
    stamp = out_dir / STAMP_FILENAME
    try:
        kept = json.loads(stamp.read_text(encoding="utf-8"))
        files = DemoFiles(out_dir / SPEND_FILENAME, out_dir / CONTRACTS_FILENAME,
                          tuple(tuple(y) for y in kept["years"]))
        if kept["key"] == key and kept["files"] == _files_digest(files):
            return files, True
    except (OSError, ValueError, KeyError, TypeError):
        pass
    files = write_demo(out_dir, catalogue, ward_codes, estate_ids)
    stamp.write_text(json.dumps({"key": key, "files": _files_digest(files),
                                 "years": [list(y) for y in files.years]}), encoding="utf-8")
    return files, False


def _demo_key(catalogue: Catalogue, ward_codes: list[str], estate_ids: list[str]) -> str:
    digest = hashlib.sha256(_digest.code_digest().encode())
    for name, frame in sorted(catalogue.to_frames().items()):
        digest.update(name.encode() + b"\0" + frame.to_csv(index=False).encode())
    digest.update(json.dumps([sorted(ward_codes), sorted(estate_ids)]).encode())
    return digest.hexdigest()


def _files_digest(files: DemoFiles) -> list[str]:
    return [_digest.file_digest(files.spend), _digest.file_digest(files.contracts)]


# ---- dates -----------------------------------------------------------------------------------


def _parse_fy(fy: str) -> tuple[date, date]:
    """``2024-25`` -> (1 April 2024, 31 March 2025)."""
    try:
        first, second = fy.split("-")
        start = int(first)
        ok = len(first) == 4 and len(second) == 2 and (start + 1) % 100 == int(second)
    except ValueError:
        ok = False
    if not ok:
        msg = f"write_demo: financial year {fy!r} is not like '2024-25' (April to March)."
        raise PlacespendError(msg)
    return date(start, 4, 1), date(start + 1, 3, 31)


def _weekday(day: date, lo: date, hi: date) -> date:
    """The nearest weekday to ``day`` inside [lo, hi] (payments run on working days)."""
    for shift in (0, -1, 1, -2, 2):
        d = day + timedelta(days=shift)
        if lo <= d <= hi and d.weekday() < 5:
            return d
    return day


def _spread_dates(rng: np.random.Generator, n: int, lo: date, hi: date) -> list[date]:
    """``n`` working days spread evenly over [lo, hi] with a few days' jitter (invoice runs)."""
    span = (hi - lo).days
    centres = (np.arange(n) + 0.5) * span / n + rng.integers(-4, 5, size=n)
    days = np.clip(centres, 0, span).astype(int)
    return sorted(_weekday(lo + timedelta(days=int(d)), lo, hi) for d in days)


def _fy_date(start: date, month: int, day: int) -> date:
    year = start.year if month >= 4 else start.year + 1
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


# ---- names -----------------------------------------------------------------------------------


class _Names:
    """Invented supplier names, each used once; remembers which may carry asterisks."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.used: set[str] = set()
        self.starrable: list[str] = []

    def new(self, noun: str) -> str:
        while True:
            stem = specs.STEMS[int(self.rng.integers(len(specs.STEMS)))]
            suffix = specs.SUFFIXES[int(self.rng.integers(len(specs.SUFFIXES)))]
            name = f"{stem} {noun} {suffix}"
            if self.rng.random() < 0.45:
                name = name.upper()
            if name.upper() not in self.used:
                self.used.add(name.upper())
                self.starrable.append(name)
                return name


# ---- contracts register ----------------------------------------------------------------------


def _spec(catalogue: Catalogue, service_id: str) -> specs.Spec:
    if service_id in specs.SPECS:
        return specs.SPECS[service_id]
    s = catalogue.service(service_id)
    return specs.Spec(2, 0.5, 10_000, 0.0, ((s.directorate, s.name),), "Services")


def _contracts(
    rng: np.random.Generator,
    names: _Names,
    catalogue: Catalogue,
    ward_codes: list[str],
    estate_ids: list[str],
    fys: list[tuple[date, date]],
) -> list[_Contract]:
    """Borough-wide contracts, ward lots and estate contracts for every place-based service.

    Each contract's annual value is a share of its service's contracted spend in the first
    year; a ward lot or estate contract takes a random share, the borough contract the rest.
    """
    first, last = fys[0][0], fys[-1][1]
    lots = dict(specs.WARD_LOTS)
    on_estates = {s: (n, lo, hi) for s, n, lo, hi in specs.ESTATE_CONTRACTS}
    out: list[_Contract] = []

    def add(service, scope_type, code, pence, start, end, title) -> None:
        spec = _spec(catalogue, service)
        org_unit, purpose = spec.labels[0]
        out.append(
            _Contract(
                contract_id=f"DEMO-C{len(out) + 1:03d}",
                title=title,
                supplier=names.new(spec.noun),
                service=service,
                org_unit=org_unit,
                purpose=purpose,
                scope_type=scope_type,
                scope_code=code,
                annual_pence=int(pence),
                start=start,
                end=end,
            )
        )

    for service in catalogue.services:
        spec = _spec(catalogue, service.id)
        if not service.place_based or spec.contracted <= 0:
            continue
        pot = spec.annual_m * 1e8 * spec.contracted  # pence a year under contract
        start = date(first.year - int(rng.integers(0, 3)), 4, 1)
        end = date(last.year + int(rng.integers(1, 4)), 3, 31)
        rest = pot
        for code in _pick(rng, ward_codes, lots.get(service.id, 0)):
            value = _round_k(pot * rng.uniform(0.04, 0.07))
            add(service.id, "ward", code, value, start, end, f"{service.name}, ward lot {code}")
            rest -= value
        n, lo, hi = on_estates.get(service.id, (0, 0, 0))
        for code in _pick(rng, estate_ids, n):
            value = _round_k(pot * rng.uniform(lo, hi))
            add(service.id, "estate", code, value, start, end, f"{service.name}, estate {code}")
            rest -= value
        providers = specs.FRAMEWORKS.get(service.id, 1)
        periods = _relet(start, end, first, last) if service.id == specs.RELET else None
        for k, w in enumerate(rng.dirichlet(np.full(providers, 4.0))):
            title = f"{service.name}, borough-wide"
            title += f" (provider {k + 1})" if providers > 1 else ""
            value = _round_k(rest * w)
            for lo_d, hi_d, note in periods or [(start, end, "")]:
                add(service.id, "borough", specs.BOROUGH_CODE, value, lo_d, hi_d, title + note)
    return out


def _relet(start: date, end: date, first: date, last: date) -> list[tuple[date, date, str]]:
    """A contract re-let to a new supplier on the first of the month half-way through."""
    mid = first + (last - first) / 2
    mid = date(mid.year, mid.month, 1)
    return [(start, mid - timedelta(days=1), ""), (mid, end, ", re-let")]


def _pick(rng: np.random.Generator, codes: list[str], n: int) -> list[str]:
    n = min(n, len(codes))
    return [codes[int(i)] for i in sorted(rng.choice(len(codes), size=n, replace=False))]


def _round_k(pence: float) -> int:
    """Round to the nearest £1,000, as contract values are quoted."""
    return int(round(pence / 100_000)) * 100_000


# ---- payments --------------------------------------------------------------------------------


def _year_rows(
    rng: np.random.Generator,
    names: _Names,
    catalogue: Catalogue,
    contracts: list[_Contract],
    start: date,
    end: date,
    growth: float,
) -> list[_Row]:
    """Every payment line of one financial year."""
    rows: list[_Row] = []
    redacted_pence: dict[str, float] = {}
    service_ids = [s.id for s in catalogue.services]
    fixed_only = {line[0] for line in specs.FIXED_LINES} - set(specs.SPECS)
    for sid in service_ids:
        if sid in fixed_only:  # levies, payroll, interest: paid in the fixed lines below
            continue
        spec = _spec(catalogue, sid)
        annual = spec.annual_m * 1e8 * growth * rng.uniform(0.97, 1.03)
        paid = 0
        for c in (c for c in contracts if c.service == sid):
            paid += _contract_rows(rng, rows, c, spec, start, end, growth)
        rest = max(0.0, annual - paid)
        redacted_pence[sid] = rest * spec.redacted
        _spot_rows(rng, rows, names, spec, rest - redacted_pence[sid], start, end)
    for sid, payee, org_unit, purpose, lines in specs.FIXED_LINES:
        if sid in service_ids:
            for month, day, gbp in lines:
                d = _weekday(_fy_date(start, month, day), start, end)
                pence = int(round(gbp * 100 * growth * rng.uniform(0.98, 1.02)))
                rows.append(_Row(d, payee, purpose, org_unit, pence))
    unmatched = specs.UNMATCHED
    annual = unmatched.annual_m * 1e8 * growth * rng.uniform(0.97, 1.03)
    redacted_pence["_unmatched"] = annual * unmatched.redacted
    _spot_rows(rng, rows, names, unmatched, annual * (1 - unmatched.redacted), start, end)
    _redacted_rows(rng, rows, catalogue, redacted_pence, len(rows), start, end)
    return rows


def _contract_rows(rng, rows, c: _Contract, spec: specs.Spec, start, end, growth) -> int:
    """Monthly-ish invoices from a contracted supplier for the part of the year it ran."""
    lo, hi = max(start, c.start), min(end, c.end)
    if lo > hi:
        return 0
    share = ((hi - lo).days + 1) / ((end - start).days + 1)
    total = c.annual_pence * share * growth * rng.uniform(0.92, 1.08)
    n = max(round(12 * share), int(total / (spec.line_gbp * 100)))
    for d, pence in zip(_spread_dates(rng, n, lo, hi), _split(rng, total, n), strict=True):
        rows.append(_Row(d, c.supplier, c.purpose, c.org_unit, pence))
    return int(total)


def _spot_rows(rng, rows, names: _Names, spec: specs.Spec, total: float, start, end) -> None:
    """Uncontracted spend: a handful of suppliers with Zipf-like shares, any of the labels."""
    if total < MIN_LINE_PENCE:
        return
    n_suppliers = int(np.clip(total / 1e8, 3, 14))  # about one per £1m
    shares = 1 / np.arange(1, n_suppliers + 1) ** 1.1
    for share in shares / shares.sum():
        payee = names.new(spec.noun)
        amount = total * share
        n = max(1, int(amount / (spec.line_gbp * 100)))
        for pence in _split(rng, amount, n):
            org_unit, purpose = spec.labels[int(rng.integers(len(spec.labels)))]
            day = _weekday(start + timedelta(days=int(rng.integers(0, 365))), start, end)
            rows.append(_Row(day, payee, purpose, org_unit, pence))


def _redacted_rows(rng, rows, catalogue, pence_by_service, n_open, start, end) -> None:
    """Payments to individuals, redacted, sized so they are ~16% of rows as in Camden's file."""
    n_total = round(n_open * specs.REDACTED_ROW_SHARE / (1 - specs.REDACTED_ROW_SHARE))
    total = sum(pence_by_service.values())
    labels, weights = zip(*specs.REDACTION_LABELS, strict=True)
    p = np.array(weights, dtype=float) / sum(weights)
    for sid, pence in pence_by_service.items():
        n = round(n_total * pence / total) if total else 0
        if n == 0:
            continue
        spec = specs.UNMATCHED if sid == "_unmatched" else _spec(catalogue, sid)
        for amount in _split(rng, pence, n):
            org_unit, purpose = spec.labels[int(rng.integers(len(spec.labels)))]
            day = _weekday(start + timedelta(days=int(rng.integers(0, 365))), start, end)
            label = labels[int(rng.choice(len(labels), p=p))]
            rows.append(_Row(day, label, purpose, org_unit, amount, redacted=True))


def _split(rng: np.random.Generator, total: float, n: int) -> list[int]:
    """``n`` line amounts in pence summing to about ``total``, none under £500."""
    n = max(1, min(n, int(total // (MIN_LINE_PENCE * 2)) or 1))
    w = rng.lognormal(0.0, 0.7, size=n)
    amounts = np.round(total * w / w.sum()).astype(np.int64)
    small = amounts < MIN_LINE_PENCE
    amounts[small] = MIN_LINE_PENCE + rng.integers(0, 50_000, size=int(small.sum()))
    return [int(a) for a in amounts]


def _mark_payees(rng: np.random.Generator, rows: list[_Row], starrable: list[str]) -> None:
    """Trailing asterisks on ~40 names (half on every line, half on some) and one empty payee."""
    paid = sorted({r.payee for r in rows} & set(starrable))
    chosen = [
        paid[int(i)]
        for i in rng.choice(len(paid), size=min(specs.STARRED_NAMES, len(paid)), replace=False)
    ]
    stars = {
        name: "*" * int(rng.choice([4, 3, 2, 1, 15], p=[0.86, 0.09, 0.03, 0.01, 0.01]))
        for name in chosen
    }
    always = set(chosen[: len(chosen) // 2])
    for r in rows:
        if r.payee in stars and (r.payee in always or rng.random() < 0.5):
            r.payee += stars[r.payee]
    open_rows = [i for i, r in enumerate(rows) if not r.redacted and r.purpose.startswith("Resp")]
    if open_rows:
        rows[open_rows[int(rng.integers(len(open_rows)))]].payee = ""


# ---- writing ---------------------------------------------------------------------------------


def _write_spend(rng, path: Path, rows: list[_Row], fys, years) -> tuple[tuple[str, int, int], ...]:
    """Write Camden's 15 columns, ordered by date, with per-month unique identifiers."""
    rows.sort(key=lambda r: (r.day, r.org_unit, r.purpose, r.payee, r.pence))
    by_month: dict[tuple[int, int], list[int]] = {}
    for i, r in enumerate(rows):
        by_month.setdefault((r.day.year, r.day.month), []).append(i)
    ids: dict[int, str] = {}
    for (year, month), idx in by_month.items():
        offset = int(rng.integers(1, 800))
        for i, n in zip(idx, rng.permutation(len(idx)) + offset, strict=True):
            ids[i] = f"{calendar.month_abbr[month].lower()}-{year % 100:02d}-{n}"
    last = rows[-1].day
    last_fy = _fy_of(last, fys, years)
    bare = rng.random(len(rows)) < 0.15  # some dates without leading zeros, as in Camden's file
    summary = {y: [0, 0] for y in years}
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(SPEND_COLUMNS)
        for i, r in enumerate(rows):
            fy = _fy_of(r.day, fys, years)
            summary[fy][0] += 1
            summary[fy][1] += r.pence
            d = r.day
            text = f"{d.day}/{d.month}/{d.year}" if bare[i] else d.strftime("%d/%m/%Y")
            out.writerow(
                [
                    specs.ORGANISATION_LABEL,
                    specs.ORGANISATION_URI,
                    text,
                    d.month,
                    d.year,
                    fy.replace("-", "/"),
                    r.payee,
                    r.purpose,
                    r.org_unit,
                    f"{r.pence // 100}.{r.pence % 100:02d}",
                    0,
                    _yes(fy == last_fy),
                    _yes(d.year == last.year),
                    _yes((d.year, d.month) == (last.year, last.month)),
                    ids[i],
                ]
            )
    return tuple((y, n, p) for y, (n, p) in summary.items())


def _fy_of(day: date, fys, years) -> str:
    for (lo, hi), y in zip(fys, years, strict=True):
        if lo <= day <= hi:
            return y
    raise AssertionError(day)  # every generated date lies inside its year


def _yes(flag: bool) -> str:
    return "Yes" if flag else "No"


def _write_contracts(path: Path, contracts: list[_Contract]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(CONTRACT_COLUMNS)
        for c in contracts:
            out.writerow(
                [
                    c.contract_id,
                    c.title,
                    c.supplier,
                    c.service,
                    c.purpose,
                    c.scope_type,
                    c.scope_code,
                    c.annual_pence // 100,
                    c.start.isoformat(),
                    c.end.isoformat(),
                ]
            )
