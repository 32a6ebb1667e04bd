"""Magnitudes and labels for the synthetic demo spend (see ``docs/DEMO_DATA.md``).

Annual amounts are illustrative, chosen so the whole file totals about what Camden's real
export averages a year (£5.62bn over 84 months, ~£800m a year) with levies, payroll and
interest at the sizes of real lines seen in that export. The split between services is the
author's judgement of a London borough's shape, not Camden's accounts; it was not tuned to give
any estate a chosen figure.
"""

from __future__ import annotations

from dataclasses import dataclass

BOROUGH_CODE = "E09000007"
ORGANISATION_LABEL = "London Borough of Camden"
ORGANISATION_URI = "http://opendatacommunities.org/id/london-borough-council/camden"

# Camden's three redaction labels with their real counts (49,232 / 16,601 / 258 lines).
REDACTION_LABELS: tuple[tuple[str, int], ...] = (
    ("xxxxREDACTEDxxxx", 49_232),
    ("REDACTED", 16_601),
    ("Redacted", 258),
)
REDACTED_ROW_SHARE = 0.159  # 66,091 of 416,000 lines in the real export
STARRED_NAMES = 40  # the real export has 43 payee names with trailing asterisks
GROWTH_PER_YEAR = 1.04  # illustrative cash growth from one financial year to the next

HRA = "Homes and Communities HRA"  # a real Camden Organisational Unit label


@dataclass(frozen=True)
class Spec:
    """How one service's demo spend is made up each year.

    ``annual_m``: £m in the first financial year. ``contracted``: share paid under the
    contracts register. ``line_gbp``: typical size of one supplier line. ``redacted``: share
    of the uncontracted spend paid to individuals, whose names are redacted. ``labels``:
    (Organisational Unit, Purpose) pairs the service's lines carry; the first is the
    contracts' label. ``noun``: the trade word in the service's invented supplier names.
    """

    annual_m: float
    contracted: float
    line_gbp: int
    redacted: float
    labels: tuple[tuple[str, str], ...]
    noun: str


# fmt: off
SPECS: dict[str, Spec] = {
    # service: Spec(£m in year 1, contracted share, typical line £, redacted share, (labels), noun)
    "caretaking": Spec(12, 0.85, 20_000, 0, (
        (HRA, "Caretaking Services"),
        (HRA, "Estate Cleaning"),
    ), "Estate Services"),
    "repairs_non_essential": Spec(8, 0.8, 12_000, 0, (
        (HRA, "Non-Essential Repairs"),
        ("Property Management HRA", "Minor Repairs and Handyperson"),
    ), "Property Care"),
    "repairs_essential": Spec(40, 0.85, 25_000, 0.05, (
        (HRA, "Responsive Repairs Costs"),
        ("Property Management HRA", "Gas Servicing and Repairs"),
        ("Property Management HRA", "Lift Repairs"),
    ), "Building Services"),
    "planned_capital_works": Spec(55, 0.9, 150_000, 0, (
        ("Housing Investment HRA Capital", "Major Works Contractor Payments"),
        ("Housing Investment HRA Capital", "Capital Works - Better Homes"),
    ), "Construction"),
    "retrofit_energy": Spec(10, 0.7, 40_000, 0.1, (
        ("Housing Investment HRA Capital", "Retrofit and Energy Efficiency Works"),
        ("Sustainability", "Energy Efficiency Grants"),
    ), "Energy Solutions"),
    "estate_management": Spec(6, 0.3, 10_000, 0.1, (
        (HRA, "Estate Management Costs"),
        (HRA, "Tenants and Residents Association Grants"),
    ), "Estate Partnerships"),
    "housing_management": Spec(10, 0.5, 20_000, 0.1, (
        (HRA, "Housing Management Services"),
        (HRA, "Leasehold Services"),
    ), "Housing Services"),
    "tenancy_sustainment": Spec(5, 0.6, 12_000, 0.3, (
        (HRA, "Tenancy Sustainment Support"),
    ), "Housing Support"),
    "housing_needs": Spec(30, 0.3, 30_000, 0.6, (
        ("Housing Needs", "Temporary Accommodation Costs"),
        ("Housing Needs", "Bed and Breakfast Accommodation"),
    ), "Lettings"),
    "green_space": Spec(9, 0.85, 15_000, 0, (
        ("Parks and Open Spaces", "Grounds Maintenance"),
        (HRA, "Estate Grounds Maintenance"),
        ("Parks and Open Spaces", "Playground Equipment"),
    ), "Landscapes"),
    "tree_maintenance": Spec(2, 0.9, 8_000, 0, (
        ("Parks and Open Spaces", "Tree Maintenance"),
        ("Public Realm and Transport", "Street Tree Works"),
    ), "Tree Care"),
    "waste_collection": Spec(10, 0.9, 100_000, 0, (
        ("Environment Services", "Waste Collection and Recycling"),
    ), "Environmental"),
    "street_cleansing": Spec(8, 0.9, 80_000, 0, (
        ("Environment Services", "Street Cleansing"),
        ("Environment Services", "Graffiti and Fly-tip Removal"),
    ), "Cleansing"),
    "air_quality": Spec(1, 0.5, 8_000, 0, (
        ("Sustainability", "Air Quality Monitoring"),
        ("Sustainability", "Clean Air Initiatives"),
    ), "Air Monitoring"),
    "highways": Spec(12, 0.8, 40_000, 0, (
        ("Public Realm and Transport", "Highways Maintenance"),
        ("Public Realm and Transport", "Street Lighting"),
    ), "Civils"),
    "transport_active_travel": Spec(5, 0.6, 25_000, 0, (
        ("Public Realm and Transport", "Active Travel Schemes"),
        ("Public Realm and Transport", "Cycle Hangars"),
    ), "Streetworks"),
    "community_safety": Spec(4, 0.6, 10_000, 0, (
        ("Community Safety", "CCTV and Community Safety"),
        ("Community Safety", "Anti-Social Behaviour Services"),
    ), "Security Services"),
    "leisure_sport": Spec(6, 0.85, 60_000, 0, (
        ("Leisure Services", "Leisure Centre Management Fee"),
        ("Leisure Services", "Sports Development"),
    ), "Leisure Trust"),
    "early_years": Spec(25, 0.5, 20_000, 0.3, (
        ("Early Years", "Nursery Provision"),
        ("Early Years", "Childcare Funding - Providers"),
        ("Early Years", "Children's Centres"),
    ), "Nurseries"),
    "youth_services": Spec(6, 0.6, 15_000, 0.1, (
        ("Youth Services", "Youth Provision Commissioned Services"),
        ("Youth Services", "Adventure Playgrounds"),
    ), "Youth Trust"),
    "children_social_care": Spec(45, 0.5, 30_000, 0.6, (
        ("Children's Safeguarding and Social Work", "Looked After Children Placements"),
        ("Children's Safeguarding and Social Work", "Fostering Allowances"),
    ), "Family Care"),
    "schools_education": Spec(30, 0.2, 60_000, 0.05, (
        ("Education", "Schools Delegated Budget Payments"),
        ("Education", "SEND Transport"),
    ), "Learning"),
    "adult_social_care": Spec(95, 0.55, 25_000, 0.5, (
        ("Adult Social Care", "Home Care"),
        ("Adult Social Care", "Residential Care Placements"),
        ("Adult Social Care", "Direct Payments"),
    ), "Care"),
    "mental_health": Spec(15, 0.6, 20_000, 0.2, (
        ("Adult Social Care", "Mental Health Support Services"),
        ("Public Health", "Mental Wellbeing Services"),
    ), "Wellbeing"),
    "public_health": Spec(25, 0.8, 40_000, 0.05, (
        ("Public Health", "Sexual Health Services"),
        ("Public Health", "Substance Misuse Services"),
        ("Public Health", "Health Visiting"),
    ), "Health"),
    "libraries_community_learning": Spec(5, 0.4, 10_000, 0.05, (
        ("Libraries and Learning", "Library Stock"),
        ("Libraries and Learning", "Adult Community Learning"),
    ), "Books"),
    "employment_support": Spec(6, 0.6, 15_000, 0.1, (
        ("Inclusive Economy", "Employment Support Programme"),
        ("Inclusive Economy", "Apprenticeship Support"),
    ), "Skills"),
    "community_investment": Spec(8, 0.2, 15_000, 0.05, (
        ("Communities and Third Sector", "Voluntary and Community Sector Grants"),
        ("Communities and Third Sector", "Community Grants"),
    ), "Community Trust"),
    "corporate_it": Spec(30, 0.7, 40_000, 0.02, (
        ("Digital and Data", "ICT Software Licences"),
        ("Finance", "External Audit Fees"),
        ("Corporate Services", "Insurance Premiums"),
    ), "Digital"),
    "debtor_entities": Spec(3, 0, 5_000, 0.7, (
        ("Finance", "Other Debtor Entities and Individuals"),
    ), "Benefits"),
}

# Labels no shipped rule matches, so the coverage report has something to show.
UNMATCHED = Spec(25, 0, 30_000, 0.2, (
    ("Chief Executive's Office", "Miscellaneous Expenses"),
    ("Supporting Communities Directorate", "Professional Fees"),
    ("Supporting People Directorate", "Agency Staff Costs"),
    ("Corporate Property", "Hire of Premises"),
), "Consultancy")
# fmt: on

# Public bodies paid fixed-size lines; (service, payee, org_unit, purpose, [(month, day, £)]).
# GLA pairs are the sizes of real Camden lines (2 x £20,840,838.00 in June and August 2021,
# 2 x £15,437,658.00 in January 2022); HMRC is one real line's size (£8,325,361.11) a month,
# paid as two halves; the rest are illustrative.
_GLA = "Greater London Authority"
_INTEREST = "Interest Payable on Long Term Borrowing"
# fmt: off
FIXED_LINES: tuple[tuple[str, str, str, str, tuple[tuple[int, int, float], ...]], ...] = (
    ("gla_levies", _GLA, "Finance", "Levies Paid", (
        (6, 22, 20_840_838.00), (6, 22, 20_840_838.00), (8, 17, 20_840_838.00),
        (8, 17, 20_840_838.00), (1, 19, 15_437_658.00), (1, 19, 15_437_658.00))),
    ("gla_levies", "Lee Valley Regional Park Authority", "Finance", "Levies Paid",
        ((5, 10, 140_000.00), (11, 10, 140_000.00))),
    ("gla_levies", "London Pensions Fund Authority", "Finance", "Levies Paid",
        ((7, 3, 310_000.00),)),
    ("gla_levies", "Environment Agency", "Finance", "Levies Paid", ((9, 12, 160_000.00),)),
    ("waste_collection", "North London Waste Authority", "Finance", "Levies Paid",
        tuple((m, 20, 1_300_000.00) for m in (4, 7, 10, 1))),
    ("payroll_remittances", "HMRC Central Payroll", "Payroll", "PAYE and National Insurance",
        tuple((m, 20, 8_325_361.11 / 2) for m in range(1, 13) for _ in (0, 1))),
    ("payroll_remittances", "London Borough of Camden Pension Fund", "Payroll",
        "Pension Contributions", tuple((m, 21, 2_500_000.00) for m in range(1, 13))),
    ("interest_borrowing", "Public Works Loan Board", "Treasury Management", _INTEREST,
        tuple((m, d, 1_500_000.00) for m in (3, 9) for d in (5, 12, 19, 26))),
    ("interest_borrowing", "London Borough of Camden", "Treasury Management", _INTEREST,
        tuple((m, 15, 250_000.00) for m in range(1, 13))),
)
# fmt: on

# (service, number of ward lots) and (service, number of estates) for the contracts register.
WARD_LOTS: tuple[tuple[str, int], ...] = (("green_space", 3), ("tree_maintenance", 2))
ESTATE_CONTRACTS: tuple[tuple[str, int, float, float], ...] = (
    # service, estates, share of the service's contracted spend per estate (low, high)
    ("planned_capital_works", 3, 0.02, 0.05),
    ("caretaking", 2, 0.02, 0.04),
    ("repairs_non_essential", 1, 0.01, 0.02),
    ("green_space", 1, 0.01, 0.02),
)
FRAMEWORKS: dict[str, int] = {  # borough-wide services let to several providers
    "adult_social_care": 3,
    "children_social_care": 2,
    "early_years": 2,
    "repairs_essential": 2,
}
RELET = "tree_maintenance"  # one borough contract re-let mid-period, to exercise contract dates

# Invented name stems for fictional suppliers (any resemblance to a real firm is accidental).
STEMS: tuple[str, ...] = tuple(
    """
    Ardenvale Brackwood Calderine Dunmere Elmsworth Fenrow Glenmarch Islemere Jaspinel Quorrel
    Vantrell Ostlewick Pellmoor Rushgrove Sallowby Tavistrand Umbervale Wrenhallow Yarrowfield
    Zellcombe Amberlode Birchendale Corrowmead Dovenell Embergate Fallowmere Gorsewick
    Hollinbrae Ivelmont Juniperra Kestlemoor Larchwind Marrowdene Nettlecombe Orrindale
    Perrinvale Quillmoor Rowanell Sedgevale Thistlecote Ullswick Verrindell Willowen Yewhallow
    Alderrin Brookhallow Cressmere Dawlinton Eskerford Foxwarren Greywether Heronmere Inchbrook
    Kilnmere Linnetford Mossgarth Northwold Oakhallow Pipistrel Ravelstone Stonechat Tarnwick
    Upperlea Vetchfield Warblemere Yarnell Coppernook Fernhallow Lapwingford Merlinfield
    Ploverdale Quaymere Saltmere Teaselby
    """.split()
)
SUFFIXES: tuple[str, ...] = ("Ltd", "Limited", "Ltd", "Limited", "LLP", "CIC", "Group Ltd")
