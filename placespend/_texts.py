"""Words every export carries: the method caveats, the method note and the data licences.

Kept in one place so the CSV, JSON, XLSX and PDF outputs say the same thing.
"""

from __future__ import annotations

# Every output built from the synthetic demo spend carries it (placespend.demo writes that spend).
DEMO_LABEL = "SYNTHETIC DEMO DATA — not Camden's real spend"

CAVEATS: tuple[str, ...] = (
    "Apportioned estimate: most of these figures are borough- or ward-wide spend shared out to "
    "the estate in proportion to a key (council households, green space, residents, ...). "
    "They are not invoices for this estate, and no contract has been re-let.",
    "Range: low-high is a calibrated interval, nominally 80%: the figure times the spread of "
    "errors measured on 2011 Census truth for its key, the count it stands for, the scope and "
    "the size of place (on held-out areas it held the truth about 8 times in 10). An estate's "
    "range combines its services without assuming all their errors go the same way. The "
    "figures 'with another key' (the service's alternative keys) show how much the choice of "
    "key matters; they are not the range.",
    "A starting point, not a budget: the pot says roughly what is spent on these services here "
    "now. What is delegated, and how, is for residents and the council to agree.",
)

HILGROVE_REFERENCE = (
    "For scale: the Hilgrove estate pilot delegated about £100k a year of caretaking, "
    "non-essential repairs and green space, about a quarter of the estate's spend (UCL IIPP and "
    "Camden, 'Mission-led procurement', March 2023)."
)

# The Hilgrove pilot's service lines as its organisers published them (same source as above,
# section "Participatory budgeting pilot"): (service id here, the pilot's words, £ a year).
HILGROVE_LINES: tuple[tuple[str, str, int], ...] = (
    ("repairs_non_essential", "Repairs: a discretionary budget for outdoor improvements", 42_000),
    ("green_space", "Green spaces (the grounds contractor)", 16_000),
    ("caretaking", "Outdoor cleaning (caretakers' time)", 42_000),
)
HILGROVE_SOURCE = (
    "UCL IIPP and Camden, 'Mission-led procurement', March 2023: the Hilgrove estate pilot "
    "(North Camden Zone community budget), £100k a year over two years."
)

METHOD: tuple[str, ...] = (
    "1. Read and check the spend: every row of every spend file is accepted or quarantined "
    "with its file, line and reason; rows read = accepted + quarantined, to the penny. "
    "Redacted payees stay REDACTED and are never matched to anything.",
    "2. Say what each payment is for and where it applies: the catalogue's rules give the "
    "service; a matching contract gives the scope (borough, ward or estate); payments with no "
    "matching contract are borough-wide. Basis 'direct' = an estate's own contract; "
    "'apportioned' = borough- or ward-wide, shared out; 'excluded' = not place-based (levies, "
    "interest, payroll, unclassified), reported on its own line.",
    "3. Share each group (service, financial year, basis, scope) over the places in its scope "
    "in proportion to the service's key: a place with a tenth of the scope's households gets "
    "a tenth of a caretaking group. Amounts are whole pence; the few pence left over by "
    "rounding go one each to the places that were closest to the next penny, so the estates "
    "and the rest of the ward add up to the group exactly (the rule in full is in "
    "docs/METHOD.md).",
    "4. Reconcile: every group, under every key, sums back to its input to the penny; the "
    "build fails otherwise. Low and high are the calibrated interval (docs/ACCURACY.md); the "
    "figures with another key are the same allocation under the service's alternative keys.",
)

# The officer's PDF says the same in plain words: no formulas, no column names (the rules in
# full, with the formula, are in docs/METHOD.md; the workbook's method sheet keeps METHOD).
PLAIN_METHOD: tuple[str, ...] = (
    "These are estimates. Most council money is spent across the whole borough or a ward, not "
    "on one estate. placespend shares it out by a measure that suits each service: council "
    "homes for caretaking, green space for grounds maintenance, residents for libraries, and "
    "so on. The figures are not invoices for this estate.",
    "Low and high: when the same method was tried on 2011 Census counts, whose true values "
    "are known, the truth fell between the low and high figures about 8 times in 10. The "
    "estate's range allows for some services being over- and others under-estimated.",
    "How it is done. First, every row of the council's spend files is read and either accepted "
    "or set aside with the reason, so nothing goes missing. Second, each payment is given a "
    "service, and an area from the council's contracts: the whole borough, a ward, or an "
    "estate with a contract of its own (shown as 'direct'). Third, money spent across an area "
    "is shared among the places in it by the service's measure, in whole pence, so the shares "
    "add back to the payment exactly. Last, every total is checked to the penny against the "
    "spend files. Levies, interest and payroll are not spent on a place and are left out of "
    "every estate, on a line of their own.",
    "The rules in full are in docs/METHOD.md, and how accurate each measure is in "
    "docs/ACCURACY.md.",
)

LICENCES: tuple[str, ...] = (
    "Boundaries and census counts: Open Government Licence v3.0. Contains National Statistics "
    "data © Crown copyright and database right 2011. Contains OS data © Crown copyright and "
    "database right 2022.",
    "Estate outlines, green space, trees, roads, buildings and waste points: "
    "© OpenStreetMap contributors, Open Database Licence (ODbL) 1.0.",
)
