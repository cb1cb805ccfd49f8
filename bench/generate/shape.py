"""The shape of the generated history: sizes, days, age brackets, stores, details."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from kesu.accounts.models import Store
from kesu.demo.tables import STATUS_BY_AGE

DEFAULT_SEED = 1
# A fixed "now" keeps the data set identical from one day to the next.
DEFAULT_ANCHOR = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)
HISTORY_DAYS = 3 * 365
REPEAT_SHARE = 0.16  # cases from a customer who complained before
# Encrypting a customer costs ~50 µs (three Fernet tokens, two HMACs): past this many
# customers every further case comes from one who complained before.
CUSTOMER_POOL = 100_000
LONG_TIMELINE_EVERY = 100  # one case in this many gets a long timeline
LONG_TIMELINE_EVENTS = 30
STORE_TAIL = 1.2  # Zipf exponent of the case count over stores

# Our own detail sentences, appended to half the descriptions.
DETAILS = [
    "顾客表示已经第二次反映同一问题。",
    "顾客情绪比较激动，希望尽快有人联系。",
    "顾客称家中有老人小孩，担心安全隐患。",
    "顾客提供了照片和视频作为凭证。",
    "顾客要求书面答复处理结果。",
    "顾客说周末才有时间在家等候上门。",
    "顾客称在社交平台上看到类似投诉。",
    "顾客希望由店长亲自回电说明情况。",
    "顾客表示如不解决将向消费者协会投诉。",
    "顾客说明发票和保修卡都还保留着。",
    "顾客称客服热线一直占线，等待很久。",
    "顾客说快递外包装有明显破损痕迹。",
    "顾客反映夜间使用时噪音特别大。",
    "顾客称同事买的同款也有类似情况。",
    "顾客要求上门人员提前电话预约。",
    "顾客表示对之前的处理方案不太满意。",
    "顾客说安装师傅没有出示工作证件。",
    "顾客称门店承诺的赠品一直没有收到。",
    "顾客希望改为线上退款到原支付账户。",
    "顾客反映说明书与实际功能不一致。",
]

_SIZE = re.compile(r"^(\d+(?:\.\d+)?)([km]?)$")


def parse_size(text: str) -> int:
    """A case count from "2500", "100k" or "1m"."""
    match = _SIZE.match(text.strip().lower())
    if not match:
        raise ValueError(f"not a size: {text!r} (use e.g. 5000, 100k, 1m)")
    number, unit = match.groups()
    return int(float(number) * {"": 1, "k": 1_000, "m": 1_000_000}[unit])


def day_weights(anchor: dt.datetime, days: int = HISTORY_DAYS) -> list[float]:
    """Relative case counts per day of age: growth, weekends, festivals, new year."""
    today = anchor.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai")).date()
    weights = []
    for age in range(days):
        day = today - dt.timedelta(days=age)
        weight = 1.0 + 0.8 * (1 - age / days)  # the business grew over the years
        if day.weekday() >= 5:
            weight *= 1.25
        if day.month == 11 and day.day >= 11:
            weight *= 1.6  # after 双11
        elif day.month == 6 and day.day >= 18:
            weight *= 1.3  # after 618
        elif (day.month == 1 and day.day >= 25) or (day.month == 2 and day.day <= 10):
            weight *= 0.6  # the Spring Festival holidays
        weights.append(weight)
    return weights


def bracket_of(age_days: float) -> int:
    """Index of the STATUS_BY_AGE bracket for an age; the last one never ends."""
    for index, (limit, _weights) in enumerate(STATUS_BY_AGE):
        if age_days < limit:
            return index
    return len(STATUS_BY_AGE) - 1


def store_weights(stores: list[Store]) -> list[float]:
    """A long tail: the first store gets the most cases, each next one fewer."""
    return [1 / (rank**STORE_TAIL) for rank in range(1, len(stores) + 1)]
