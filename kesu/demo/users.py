"""The demo organisation: departments, stores and staff, with their known passwords.

Every demo login is listed here, in one place, so the start script can print them.
"""

from __future__ import annotations

from typing import NamedTuple

from kesu.accounts.models import Role

# The one demo password: all demo users share it so the start script prints one line.
DEMO_PASSWORD = "kesu-demo-2026"  # noqa: S105 - published on purpose

# Each row: code, Chinese name, English name.
DEPARTMENTS: list[tuple[str, str, str]] = [
    ("customer-service", "客服中心", "Customer service"),
    ("after-sales", "售后维修", "After-sales repair"),
    ("logistics", "物流配送", "Logistics and delivery"),
    ("quality", "质量管理", "Quality management"),
    ("store-ops", "门店运营", "Store operations"),
]


class StoreSpec(NamedTuple):
    code: str
    name: str
    name_en: str
    city: str
    time_zone: str


STORES: list[StoreSpec] = [
    StoreSpec(
        "sh-xujiahui", "上海徐家汇旗舰店", "Shanghai Xujiahui", "上海", "Asia/Shanghai"
    ),
    StoreSpec(
        "bj-chaoyang", "北京朝阳大悦城店", "Beijing Chaoyang", "北京", "Asia/Shanghai"
    ),
    StoreSpec("gz-tianhe", "广州天河城店", "Guangzhou Tianhe", "广州", "Asia/Shanghai"),
    StoreSpec(
        "cd-chunxi", "成都春熙路店", "Chengdu Chunxi Road", "成都", "Asia/Shanghai"
    ),
    StoreSpec(
        "hz-online", "杭州线上商城", "Hangzhou online shop", "杭州", "Asia/Shanghai"
    ),
    StoreSpec(
        "urumqi-tianshan",
        "乌鲁木齐天山店",
        "Urumqi Tianshan",
        "乌鲁木齐",
        "Asia/Urumqi",
    ),
]


class DemoUser(NamedTuple):
    username: str
    password: str
    role: str
    display_name: str
    departments: tuple[str, ...] = ()
    stores: tuple[str, ...] = ()


_ALL_STORES = tuple(store.code for store in STORES)

STAFF: list[DemoUser] = [
    DemoUser("admin", DEMO_PASSWORD, Role.ADMIN, "赵磊"),
    DemoUser("manager", DEMO_PASSWORD, Role.MANAGER, "王建国"),
    DemoUser(
        "supervisor", DEMO_PASSWORD, Role.SUPERVISOR, "陈静", ("customer-service",)
    ),
    DemoUser("supervisor2", DEMO_PASSWORD, Role.SUPERVISOR, "刘洋", ("after-sales",)),
    DemoUser("quality", DEMO_PASSWORD, Role.QUALITY, "孙丽", ("quality",)),
    DemoUser(
        "agent",
        DEMO_PASSWORD,
        Role.AGENT,
        "李娜",
        ("customer-service",),
        ("sh-xujiahui", "hz-online"),
    ),
    DemoUser(
        "agent2",
        DEMO_PASSWORD,
        Role.AGENT,
        "张伟",
        ("customer-service",),
        ("bj-chaoyang", "hz-online"),
    ),
    DemoUser(
        "agent3",
        DEMO_PASSWORD,
        Role.AGENT,
        "周敏",
        ("customer-service",),
        ("gz-tianhe", "cd-chunxi"),
    ),
    DemoUser(
        "agent4",
        DEMO_PASSWORD,
        Role.AGENT,
        "古丽娜尔",
        ("customer-service",),
        ("urumqi-tianshan", "cd-chunxi"),
    ),
    DemoUser("handler", DEMO_PASSWORD, Role.HANDLER, "郑强", ("after-sales",)),
    DemoUser("handler2", DEMO_PASSWORD, Role.HANDLER, "黄磊", ("after-sales",)),
    DemoUser("handler3", DEMO_PASSWORD, Role.HANDLER, "马超", ("logistics",)),
    DemoUser(
        "handler4", DEMO_PASSWORD, Role.HANDLER, "何芳", ("store-ops",), _ALL_STORES
    ),
    DemoUser("handler5", DEMO_PASSWORD, Role.HANDLER, "林峰", ("quality",)),
    DemoUser("handler6", DEMO_PASSWORD, Role.HANDLER, "吴婷", ("customer-service",)),
]

# What the start script prints: (username, password, role, display name).
DEMO_USERS: list[tuple[str, str, str, str]] = [
    (user.username, user.password, str(user.role), user.display_name) for user in STAFF
]
