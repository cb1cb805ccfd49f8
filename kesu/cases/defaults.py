"""The defaults Kesu ships: the R-CL-1 taxonomy and reply scripts (R-WF-6).

Loaded by a data migration; admins edit them afterwards in the admin.
"""

from __future__ import annotations

# (code, 中文, English, [(sub code, 中文, English), …])
TAXONOMY: list[tuple[str, str, str, list[tuple[str, str, str]]]] = [
    (
        "product_quality",
        "产品质量",
        "Product quality",
        [
            ("hardware_fault", "硬件故障", "Hardware fault"),
            ("software_problem", "软件问题", "Software problem"),
            ("appearance_defect", "外观瑕疵", "Appearance defect"),
            ("performance_shortfall", "性能不达标", "Performance below promise"),
            ("dead_on_arrival", "开箱故障", "Dead on arrival"),
        ],
    ),
    (
        "after_sales",
        "售后服务",
        "After-sales service",
        [
            ("repair_skill", "维修技术", "Repair skill"),
            ("misdiagnosis", "误诊误判", "Misdiagnosis"),
            ("wrong_parts", "配件错误", "Wrong parts"),
            ("repair_delay", "维修延误", "Repair delay"),
            ("repeat_repair", "反复维修", "Repeated repair"),
            ("warranty_dispute", "保修争议", "Warranty dispute"),
        ],
    ),
    (
        "price_charges",
        "价格与收费",
        "Price and charges",
        [
            ("opaque_fees", "收费不透明", "Opaque fees"),
            ("overcharge", "多收乱收费", "Overcharge"),
            ("price_protection", "价格差异与保价", "Price difference / protection"),
            ("refund_delay", "退款延迟", "Refund delay"),
        ],
    ),
    (
        "safety",
        "安全问题",
        "Safety",
        [
            ("fire_smoke", "起火冒烟", "Fire or smoke"),
            ("electric_shock", "漏电触电", "Electric leakage or shock"),
            ("personal_injury", "人身伤害", "Personal injury"),
            ("harmful_substance", "有害物质", "Harmful substance"),
        ],
    ),
    (
        "logistics",
        "物流配送",
        "Logistics and delivery",
        [
            ("delivery_delay", "配送延误", "Late delivery"),
            ("transit_damage", "运输损坏", "Damaged in transit"),
            ("wrong_item", "错发漏发", "Wrong or missing item"),
            ("installation", "安装问题", "Installation"),
        ],
    ),
    (
        "service_attitude",
        "服务态度",
        "Service attitude",
        [
            ("rude_staff", "态度恶劣", "Rude staff"),
            ("buck_passing", "推诿不回应", "Passing the buck / no response"),
            ("broken_promise", "承诺未兑现", "Broken promise"),
        ],
    ),
    (
        "other",
        "其他",
        "Other",
        [
            ("other_issue", "其他问题", "Other issue"),
        ],
    ),
]

# (title, stage, language, body) — placeholders: {customer_title} {case_number} {store}
# {owner} {product}
REPLY_TEMPLATES: list[tuple[str, str, str, str]] = [
    (
        "倾听：确认问题",
        "listening",
        "zh-hans",
        "{customer_title}您好，我是{store}的{owner}。为了尽快帮您解决，想跟您确认一下："
        "您的{product}具体是在什么情况下出现问题的？",
    ),
    (
        "共情：理解感受",
        "empathy",
        "zh-hans",
        "{customer_title}，非常理解您现在的心情，换作是我也会着急。这件事我会负责跟进到底。",
    ),
    (
        "致歉：承认不足",
        "apology",
        "zh-hans",
        "{customer_title}，给您带来这样的困扰，我们真诚地向您道歉。"
        "您的投诉已登记，编号{case_number}。",
    ),
    (
        "方案：说明处理",
        "solution",
        "zh-hans",
        "{customer_title}，关于投诉{case_number}，我们的处理方案如下：……"
        "如您同意，我们将立即安排。",
    ),
    (
        "结束：回访确认",
        "closing",
        "zh-hans",
        "{customer_title}，投诉{case_number}已处理完毕。请问您对处理结果是否满意？"
        "后续有任何问题可随时联系我（{owner}）。",
    ),
    (
        "Listening: confirm the problem",
        "listening",
        "en",
        "Hello {customer_title}, this is {owner} from {store}. So that we can help "
        "quickly, "
        "could you tell me when the problem with your {product} appears?",
    ),
    (
        "Apology",
        "apology",
        "en",
        "{customer_title}, we are sorry for the trouble this has caused. "
        "Your complaint is registered as {case_number}.",
    ),
    (
        "Solution",
        "solution",
        "en",
        "{customer_title}, for complaint {case_number} we propose the following: … "
        "If you agree, we will arrange it at once.",
    ),
]
