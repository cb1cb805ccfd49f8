"""Rules that label the public training texts into Kesu's taxonomy (weak supervision).

Written from GUIDELINES.md (kesu/triage/gold/) and from reading training texts, never
the gold items. Order matters: the first matching rule wins, so safety comes first ("any
real safety hazard wins") and the product-quality catch-all comes last. A text no rule
recognises is a product-quality complaint in the review corpora (they are reviews of a
product or a meal), and ``other`` among the TipDM government messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kesu.triage.ml import datasets

Rule = tuple[str, str, str]  # (category, subcategory, regex)

_FOOD_BODY = r"(菜|饭|汤|面|粥|饼|肉|里面|里边|吃出|喝出|发现)"
ZH_RULES: list[Rule] = [
    ("safety", "fire_smoke", r"起火|着火|冒烟|爆炸|炸了|自燃|火花|烧焦|烧糊了?的?味"),
    ("safety", "electric_shock", r"漏电|触电|电到手|电了一下|麻手"),
    ("safety", "personal_injury", r"烫伤|烧伤|受伤|划伤|割伤|割破|扎伤|流血|住院"),
    (
        "safety",
        "harmful_substance",
        rf"中毒|拉.{{0,4}}肚子|小强|腹泻|上吐下泻|呕吐|过敏|甲醛|有毒|致癌|误食|异物|玻璃渣|钢丝球"
        rf"|{_FOOD_BODY}.{{0,8}}(头发|虫|苍蝇|蟑螂|蚊子|塑料|毛)|发霉|霉变|变质|馊了|臭了",
    ),
    (
        "price_charges",
        "price_protection",
        r"降价|降了|掉价|调价|保价|差价|价格.{0,4}(变|降|低)",
    ),
    (
        "price_charges",
        "refund_delay",
        r"退款|退钱|钱.{0,4}没.{0,2}退|不退|返现|退.{0,4}款",
    ),
    (
        "price_charges",
        "opaque_fees",
        r"发票|运费|餐盒费|打包费|配送费|包装费|收费|手续费",
    ),
    (
        "price_charges",
        "overcharge",
        r"多收|乱收|多扣|坑钱|太贵|价格.{0,3}(高|贵)|贵了|不值",
    ),
    ("after_sales", "repeat_repair", r"返修|修了.{0,4}次|又坏了|再次维修|反复维修"),
    (
        "after_sales",
        "repair_delay",
        r"维修.{0,8}(慢|久|天|月|没修好|还没)|修了.{0,3}(天|月)",
    ),
    ("after_sales", "misdiagnosis", r"检测.{0,6}(没问题|正常)|说是人为"),
    ("after_sales", "wrong_parts", r"配件.{0,4}(错|不对)"),
    ("after_sales", "warranty_dispute", r"保修|三包|不给(换|退|修)|拒绝(退|换|维修)"),
    ("after_sales", "", r"售后|维修|退货|换货|退换|客服.{0,8}(解决|处理)|返厂|换新"),
    (
        "service_attitude",
        "rude_staff",
        r"态度|骂人|骂我|凶|不耐烦|爱理不理|脾气|服务.{0,2}(差|不好)",
    ),
    (
        "service_attitude",
        "buck_passing",
        r"推诿|踢皮球|不理人|没人理|没人管|不回复|敷衍|不接电话",
    ),
    ("service_attitude", "broken_promise", r"承诺|说好的|答应.{0,8}(没|不)"),
]

_LOGISTICS_NOUN = (
    r"快递|物流|送货|发货|配送|送到|送来|送达|骑手|送餐|小哥|外卖员|派送|到货|收货"
)
LOGISTICS_RULES: list[Rule] = [
    (
        "logistics",
        "installation",
        r"(上门|预约).{0,4}安装|安装.{0,6}(师傅|人员|不来|没来)",
    ),
    (
        "logistics",
        "wrong_item",
        r"送错|发错|少送|漏送|少发|漏发|缺件|少了.{0,4}(个|份|件)|没有?(送|给).{0,6}(筷子|饮料|米饭|汤|可乐|果汁|酱|赠品)|送成|发成|货不对板",
    ),
    (
        "logistics",
        "transit_damage",
        r"破损|压坏|压扁|摔坏|洒了|撒了|漏了|汤.{0,4}(洒|撒|漏)|凉了|都凉|冰凉|坨了",
    ),
]
# "慢" alone means a slow computer in a shop review but a slow rider in a delivery one.
WAIMAI_DELAY = ("logistics", "delivery_delay", r"慢|等了|小时|超时|迟到|晚了|太久|催")
SHOP_DELAY = (
    "logistics",
    "delivery_delay",
    rf"({_LOGISTICS_NOUN}).{{0,8}}(慢|晚|迟|久|天)",
)
LOGISTICS_ANY = ("logistics", "", _LOGISTICS_NOUN)

PRODUCT_RULES: list[Rule] = [
    (
        "product_quality",
        "dead_on_arrival",
        r"开箱|到手就|收到就.{0,4}(坏|不能)|刚买.{0,6}(坏|不能)|不开机|开不了机",
    ),
    (
        "product_quality",
        "software_problem",
        r"系统|软件|驱动|死机|蓝屏|重启|闪退|程序|升级|预装",
    ),
    (
        "product_quality",
        "hardware_fault",
        r"坏了|坏的|故障|漏|开线|破了|洞|不能用|黑屏|屏幕|电池|充不进|充电|键盘|接触不良|漏水|不加热|噪音|响声",
    ),
    (
        "product_quality",
        "appearance_defect",
        r"划痕|色差|掉色|褪色|起球|瑕疵|脏|破洞|线头|印刷|污渍|旧的|二手",
    ),
    (
        "product_quality",
        "performance_shortfall",
        r"卡|发热|发烫|续航|效果|难吃|不好吃|味道|口味|咸|淡|油腻|不新鲜|量少|分量|太少|"
        r"硬|不甜|酸|质量|做工|假货|假的|正品|不好用|一般|失望|不值|差|烂|房间|隔音|设施|"
        r"早餐|卫生|环境|空调|床|窗|内容|翻译|纸张|尺码|偏大|偏小|太大|太小|短|长|面料|不舒服|"
        r"少|不够|肥肉|腥|甜|辣|不好|没用|不喜欢|垃圾|后悔|仿|书|待机",
    ),
]

ZH_COMPILED = [(c, s, re.compile(p)) for c, s, p in ZH_RULES]


def _first(rules: list[Rule], text: str) -> tuple[str, str] | None:
    for category, subcategory, pattern in rules:
        if re.search(pattern, text):
            return category, subcategory
    return None


def label_zh(text: str, *, delivery: bool) -> tuple[str, str]:
    """(category, subcategory) of a Chinese review; ``delivery`` for food delivery."""
    delay = WAIMAI_DELAY if delivery else SHOP_DELAY
    ordered = [*ZH_RULES, *LOGISTICS_RULES, delay, LOGISTICS_ANY, *PRODUCT_RULES]
    return _first(ordered, text) or ("product_quality", "")


# CFPB Issue → category, from GUIDELINES.md's mapping (checked in order, substring).
CFPB_ISSUES: list[tuple[str, str, str]] = [
    ("communication tactics", "service_attitude", "rude_staff"),
    ("threatened", "service_attitude", "rude_staff"),
    ("illegal action", "service_attitude", "rude_staff"),
    ("false statements", "service_attitude", "broken_promise"),
    ("improper contact", "service_attitude", ""),
    ("customer service", "service_attitude", ""),
    ("fee", "price_charges", "opaque_fees"),
    ("interest", "price_charges", "overcharge"),
    ("charging your account", "price_charges", "overcharge"),
    ("purchase shown on your statement", "price_charges", "overcharge"),
    ("funds being low", "price_charges", "opaque_fees"),
    ("settlement process and costs", "price_charges", "opaque_fees"),
    ("not available when promised", "logistics", "delivery_delay"),
    ("didn't receive money", "logistics", "delivery_delay"),
    ("lost or stolen", "logistics", "wrong_item"),
    ("investigation", "after_sales", ""),
    ("struggling to", "after_sales", ""),
    ("dealing with your lender", "after_sales", ""),
    ("managing the loan", "after_sales", ""),
    ("payoff process", "after_sales", ""),
    ("end of the loan", "after_sales", ""),
    ("closing on a mortgage", "after_sales", ""),
    ("written notification", "after_sales", ""),
    ("disclosure verification", "after_sales", ""),
    ("incorrect information", "other", ""),
    ("debt not owed", "other", ""),
    ("improper use of your report", "other", ""),
    ("fraud", "other", ""),
    ("identity theft", "other", ""),
    ("unauthorized", "other", ""),
    ("opening an account", "other", ""),
    ("closing", "other", ""),
    ("", "product_quality", ""),  # payments, accounts, cards, terms, marketing …
]

EN_RULES: list[Rule] = [
    (
        "service_attitude",
        "rude_staff",
        r"\b(rude|harass\w*|yell\w*|scream\w*|hung up|threaten\w*|unprofessional"
        r"|abusive)\b",
    ),
    (
        "service_attitude",
        "buck_passing",
        r"\b(runaround|run around|no response|ignored"
        r"|never (responded|called back|got back))\b",
    ),
    (
        "price_charges",
        "opaque_fees",
        r"\b(late fees?|overdraft|fees?|interest rate|finance charges?)\b",
    ),
    ("price_charges", "refund_delay", r"\b(refund\w*)\b"),
    (
        "logistics",
        "delivery_delay",
        r"\b(never received|lost in the mail|not (been )?delivered|shipping)\b",
    ),
    (
        "other",
        "",
        r"\b(identity theft|stolen identity|not mine|not my (debt|account)|do not owe"
        r"|don't owe|fraudulent)\b",
    ),
    (
        "after_sales",
        "",
        r"\b(modification|loan servic\w*|dispute\w*|investigat\w*|escrow)\b",
    ),
    (
        "product_quality",
        "",
        r"\b(error|incorrect\w*|misapplied|not working|website|app)\b",
    ),
]
CFPB_PRODUCTS: list[tuple[str, str]] = [
    ("credit reporting", "other"),
    ("debt collection", "other"),
    ("mortgage", "after_sales"),
    ("student loan", "after_sales"),
    ("consumer loan", "after_sales"),
    ("vehicle loan", "after_sales"),
    ("payday", "price_charges"),
    ("", "product_quality"),  # bank accounts, cards, prepaid, transfers
]


def label_cfpb(issue: str, product: str, text: str) -> tuple[str, str]:
    """(category, subcategory) of a CFPB complaint: its Issue, else text and product."""
    if issue:
        lowered = issue.lower()
        for needle, category, subcategory in CFPB_ISSUES:
            if needle in lowered:
                return category, subcategory
    found = _first(EN_RULES, text.lower())
    if found:
        return found
    lowered = product.lower()
    return next(c for needle, c in CFPB_PRODUCTS if needle in lowered), ""


@dataclass(frozen=True)
class Labelled:
    """A training text with its rule-given labels."""

    source: str
    row: str
    text: str
    category: str
    subcategory: str


TIPDM_OTHER_CAP = (
    600  # government messages are mostly out of scope; a few teach "other"
)


def training_set(root: object) -> list[Labelled]:
    """Every rule-labelled training text of the public data, gold rows excluded."""
    from pathlib import Path

    base = Path(str(root))
    excluded = datasets.gold_keys()
    out: list[Labelled] = []

    def add(record: datasets.Record, labels: tuple[str, str]) -> None:
        if (record.source, record.row) not in excluded:
            out.append(Labelled(record.source, record.row, record.text, *labels))

    for record in datasets.read(base, datasets.SHOP):
        if record.label == "0":
            add(record, label_zh(record.text, delivery=False))
    for record in datasets.read(base, datasets.WAIMAI):
        if record.label == "0":
            add(record, label_zh(record.text, delivery=True))
    others = 0
    for record in datasets.read(base, datasets.TIPDM_MESSAGES):
        found = _first([*ZH_RULES, LOGISTICS_ANY], record.text)
        if found:
            add(record, found)
        elif others < TIPDM_OTHER_CAP:
            others += 1
            add(record, ("other", ""))
    for record in datasets.read(base, datasets.CFPB_FULL):
        add(record, label_cfpb(record.issue, record.label, record.text))
    for record in datasets.read(base, datasets.CFPB_NARRATIVES):
        add(record, label_cfpb("", record.label, record.text))
    return out
