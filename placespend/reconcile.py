"""Conservation checks: every pound read is accepted or quarantined, and every accepted pound
lands on an estate, in a ward's off-estate residual, or on the excluded line, to the penny."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import duckdb

from placespend import checks
from placespend._sql import query


@dataclass(frozen=True)
class Reconciliation:
    """The build's money, from rows read to places (all amounts in integer pence)."""

    rows_read: int
    rows_accepted: int
    rows_quarantined: int
    payment_rows: int
    quarantined_pence: int
    quarantined_unparsed_rows: int
    input_pence: int
    estates_pence: int
    residual_pence: int
    excluded_pence: int
    groups_checked: int
    groups_mismatched: int

    @property
    def rows_reconcile(self) -> bool:
        return (
            self.rows_read == self.rows_accepted + self.rows_quarantined
            and self.rows_accepted == self.payment_rows
        )

    @property
    def difference_pence(self) -> int:
        """input - (estates + residual + excluded); zero when money is conserved."""
        return self.input_pence - self.estates_pence - self.residual_pence - self.excluded_pence

    @property
    def ok(self) -> bool:
        return self.rows_reconcile and self.difference_pence == 0 and self.groups_mismatched == 0

    def as_json(self) -> dict[str, object]:
        """The figures as JSON-ready values: counts as ints, money as pounds with pence."""
        out: dict[str, object] = {}
        for name, value in asdict(self).items():
            if name.endswith("_pence"):
                out[name.removesuffix("_pence") + "_gbp"] = pence_to_gbp(value)
            else:
                out[name] = value
        out["difference_gbp"] = pence_to_gbp(self.difference_pence)
        out["ok"] = self.ok
        return out


def pence_to_gbp(pence: int) -> float:
    """Pounds as a float for JSON; exact to the penny for any amount below £90 trillion."""
    return round(pence / 100, 2)


def reconcile(con: duckdb.DuckDBPyConnection) -> Reconciliation:
    """Read the reconciliation figures of a built store."""
    row = query(con, "reconciliation_summary").iloc[0]
    return Reconciliation(**{k: int(row[k]) for k in Reconciliation.__dataclass_fields__})


def check(con: duckdb.DuckDBPyConnection) -> Reconciliation:
    """Run every declared check (:func:`placespend.checks.run_checks`: rows and money conserved,
    every group reconciled under every key, keys unique, every place known), then reconcile.

    Raises
    ------
    CheckError
        A :class:`~placespend.errors.ReconciliationError` naming every failed check with sample
        rows.
    """
    checks.run_checks(con)
    return reconcile(con)
