"""The seeds' default SLA policies (R-SLA-1), loaded by a data migration.

Sources: response 5/15/30 min by severity, results told within 2 h, follow-up within
72 h, general cases handled in 24 h and urgent ones in 8 h, collaboration started in
2 h with a plan in 48 h [001 二]; a plan within 24 h of receipt, grade-1 complaints
(product quality, safety) in 3 working days, grade-2 (after-sales, logistics) in 5, and
10 working days when the case needs a return, exchange or repair [004 §三, §四]. The
seeds give no resolution time for major cases; they take the urgent 8 h.
"""

from __future__ import annotations

# (name, English name, severity, category code,
#  [(kind, amount, unit, resolution types)])
POLICIES: list[tuple[str, str, str, str, list[tuple[str, int, str, list[str]]]]] = [
    (
        "默认时限",
        "Default targets",
        "",
        "",
        [
            ("response", 30, "minutes", []),
            ("acknowledgement", 60, "minutes", []),
            ("plan", 24, "hours", []),
            ("resolution", 24, "hours", []),
            ("resolution", 10, "working_days", ["repair", "exchange", "return_refund"]),
            ("follow_up", 72, "hours", []),
            ("collaboration_start", 2, "hours", []),
            ("collaboration_plan", 48, "hours", []),
        ],
    ),
    (
        "紧急投诉",
        "Urgent",
        "urgent",
        "",
        [
            ("response", 15, "minutes", []),
            ("resolution", 8, "hours", []),
        ],
    ),
    (
        "重大投诉",
        "Major",
        "major",
        "",
        [
            ("response", 5, "minutes", []),
            ("resolution", 8, "hours", []),
        ],
    ),
    (
        "一级投诉：产品质量",
        "Grade 1: product quality",
        "",
        "product_quality",
        [
            ("resolution", 3, "working_days", []),
        ],
    ),
    (
        "一级投诉：安全问题",
        "Grade 1: safety",
        "",
        "safety",
        [
            ("resolution", 3, "working_days", []),
        ],
    ),
    (
        "二级投诉：售后服务",
        "Grade 2: after-sales",
        "",
        "after_sales",
        [
            ("resolution", 5, "working_days", []),
        ],
    ),
    (
        "二级投诉：物流配送",
        "Grade 2: logistics",
        "",
        "logistics",
        [
            ("resolution", 5, "working_days", []),
        ],
    ),
]


def load_default_policies(apps: object, schema_editor: object) -> None:
    """Data migration: create the default policies once."""
    policy_model = apps.get_model("sla", "SlaPolicy")  # type: ignore[attr-defined]
    target_model = apps.get_model("sla", "SlaTarget")  # type: ignore[attr-defined]
    category_model = apps.get_model("cases", "Category")  # type: ignore[attr-defined]
    for name, name_en, severity, category_code, targets in POLICIES:
        category = (
            category_model.objects.get(code=category_code) if category_code else None
        )
        policy = policy_model.objects.create(
            name=name, name_en=name_en, severity=severity, category=category
        )
        target_model.objects.bulk_create(
            target_model(
                policy=policy,
                kind=kind,
                amount=amount,
                unit=unit,
                resolution_types=types,
            )
            for kind, amount, unit, types in targets
        )
