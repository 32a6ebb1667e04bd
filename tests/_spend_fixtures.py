"""Hand-made spend files shared by the tests of mapping suggestions and of the upload page."""

from __future__ import annotations

import csv
import io
from pathlib import Path

COUNCIL_ROWS = 40
COUNCIL_COLUMNS = {"date": "Date Paid", "payee": "Creditor Name", "amount": "Net Value",
                   "org_unit": "Directorate", "purpose": "Expenditure Type",
                   "transaction_id": "Voucher Number"}


def council_text(rows: int = COUNCIL_ROWS) -> str:
    """A council's own layout, like no preset: its columns named its way (``COUNCIL_COLUMNS``),
    voucher numbers shared by the two lines of one invoice, amounts with thousands
    separators, day-first dates."""
    payees = ["Acme Cleaning Ltd", "Borough Lifts PLC", "Green Spaces Trust", "J Smith & Sons",
              "Northgate Care", "Parkway Repairs", "Quill Stationers", "River Water"]
    units = ["Housing", "Environment", "Children's Services"]
    kinds = ["Repairs", "Cleaning", "Grounds Maintenance", "Care Packages", "Stationery"]
    body = io.StringIO()
    out = csv.writer(body, lineterminator="\n")
    out.writerow(list(COUNCIL_COLUMNS.values()))
    for i in range(rows):
        out.writerow([f"{1 + i % 28:02d}/06/2023", payees[i % len(payees)],
                      f"{(i + 1) * 137.25 + 500:,.2f}", units[i % len(units)],
                      kinds[i % len(kinds)], f"V{1000 + i // 2}"])
    return body.getvalue()


def council_file(folder: Path, rows: int = COUNCIL_ROWS, name: str = "riverside_2023-06.csv"
                 ) -> Path:
    """:func:`council_text` written to ``folder / name``."""
    path = folder / name
    path.write_text(council_text(rows), encoding="utf-8")
    return path
