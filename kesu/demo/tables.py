"""The shape of the demo: how statuses, channels and categories are spread.

Weights are relative; the numbers are plausible for a mid-sized retailer of
appliances, electronics and furniture, not measured.
"""

from __future__ import annotations

from kesu.cases.models import Channel
from kesu.cases.workflow import Status

HISTORY_DAYS = 182
REQUEST_DUE_HOURS = 48

# The first cases take every status once, so that even a small demo shows them all,
# at an age that suits the status.
FIRST_CASES: dict[Status, tuple[float, float]] = {
    Status.RECEIVED: (0, 1),
    Status.VERIFYING: (0.5, 3),
    Status.AWAITING_CUSTOMER: (2, 10),
    Status.HANDLING: (1, 10),
    Status.FEEDBACK: (4, 12),
    Status.REOPENED: (15, 60),
    Status.ARCHIVED: (10, HISTORY_DAYS),
    Status.REJECTED: (2, HISTORY_DAYS),
}
# The rest arrive evenly over the history; the older a case, the likelier it is done.
# (age below, in days) → weights of the final statuses.
STATUS_BY_AGE: list[tuple[float, dict[Status, float]]] = [
    (
        1,
        {
            Status.RECEIVED: 50,
            Status.VERIFYING: 30,
            Status.HANDLING: 10,
            Status.AWAITING_CUSTOMER: 5,
            Status.REJECTED: 5,
        },
    ),
    (
        3,
        {
            Status.RECEIVED: 10,
            Status.VERIFYING: 35,
            Status.HANDLING: 30,
            Status.AWAITING_CUSTOMER: 10,
            Status.REJECTED: 10,
            Status.FEEDBACK: 5,
        },
    ),
    (
        10,
        {
            Status.VERIFYING: 10,
            Status.HANDLING: 35,
            Status.AWAITING_CUSTOMER: 10,
            Status.FEEDBACK: 25,
            Status.ARCHIVED: 10,
            Status.REJECTED: 8,
            Status.REOPENED: 2,
        },
    ),
    (
        30,
        {
            Status.HANDLING: 12,
            Status.AWAITING_CUSTOMER: 5,
            Status.FEEDBACK: 15,
            Status.ARCHIVED: 55,
            Status.REJECTED: 7,
            Status.REOPENED: 6,
        },
    ),
    (
        HISTORY_DAYS + 1,
        {
            Status.HANDLING: 2,
            Status.AWAITING_CUSTOMER: 1,
            Status.FEEDBACK: 1,
            Status.ARCHIVED: 86,
            Status.REJECTED: 7,
            Status.REOPENED: 3,
        },
    ),
]
CHANNEL_WEIGHTS: dict[str, float] = {
    Channel.PHONE: 0.30,
    Channel.WALK_IN: 0.14,
    Channel.WEB: 0.15,
    Channel.API: 0.12,
    Channel.EMAIL: 0.05,
    Channel.IMPORT: 0.12,
    Channel.SOCIAL: 0.09,
    Channel.INTERNAL: 0.03,
}
# Sub-category weights: product faults and repairs dominate real after-sales queues.
CATEGORY_WEIGHTS: dict[str, float] = {
    "product_quality": 0.30,
    "after_sales": 0.24,
    "price_charges": 0.11,
    "safety": 0.05,
    "logistics": 0.17,
    "service_attitude": 0.09,
    "other": 0.04,
}
# Which department handles which top-level category.
ROUTING: dict[str, str] = {
    "product_quality": "after-sales",
    "after_sales": "after-sales",
    "price_charges": "store-ops",
    "safety": "quality",
    "logistics": "logistics",
    "service_attitude": "store-ops",
    "other": "customer-service",
}
RESOLUTIONS: dict[str, list[str]] = {
    "product_quality": ["repair", "exchange", "return_refund", "compensation_coupon"],
    "after_sales": ["repair", "compensation_service", "exchange", "partial_refund"],
    "price_charges": ["partial_refund", "explanation", "compensation_coupon"],
    "safety": ["return_refund", "compensation_cash", "exchange"],
    "logistics": ["compensation_coupon", "exchange", "repair", "explanation"],
    "service_attitude": ["apology", "compensation_coupon"],
    "other": ["explanation", "apology"],
}
RESPONSIBILITY: dict[str, list[str]] = {
    "product_quality": ["manufacturer", "manufacturer", "undetermined"],
    "after_sales": ["technician", "store", "manufacturer"],
    "price_charges": ["store", "software_vendor"],
    "safety": ["manufacturer"],
    "logistics": ["store", "technician", "undetermined"],
    "service_attitude": ["employee", "store"],
    "other": ["store", "customer", "software_vendor"],
}
