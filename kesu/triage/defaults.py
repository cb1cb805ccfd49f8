"""The severity and emotion rules Kesu ships (R-CL-2, R-CL-3), seeded by the migration.

Admins edit them afterwards in the admin. (kind, value, language, pattern): a pattern is
a keyword (Chinese: substring; English: whole word, case-insensitive) unless it starts
with ``re:``, then it is a regular expression.
"""

from __future__ import annotations

SAFETY_ZH = (
    "起火 着火 冒烟 爆炸 自燃 火花 漏电 触电 烫伤 烧伤 "
    "受伤 划伤 割伤 误食 中毒 食物中毒 窒息"
)
SAFETY_EN = (
    "fire caught-fire smoke smoking sparks exploded explosion electric-shock shocked "
    "electrocuted burn burned burns injury injured injuries poisoning choking"
)
THREAT_ZH = (
    "12315 12345 曝光 媒体 记者 起诉 律师 法院 "
    "消协 消费者协会 工商 市场监管 报警 举报 微博"
)
THREAT_EN = (
    "lawyer attorney sue suing lawsuit court media journalist news bbb regulator"
)
ANGRY_ZH = (
    "垃圾 骗子 骗人 坑爹 坑人 黑心 恶心 再也不 差劲 气死 "
    "滚 傻 妈的 什么玩意 无良 强烈 投诉"
)
ANGRY_EN = (
    "scam scammed scammers fraudsters ridiculous outrageous disgusting unacceptable "
    "furious angry liars lying criminal predatory harassment"
)
UNHAPPY_ZH = "不 没 差 失望 慢 问题 坏 退 难 少 贵 假 错 烂 投诉 一般 后悔"
UNHAPPY_EN = (
    "not never unable problem issue refused refuse complaint disappointed wrong error "
    "denied failed incorrect still"
)


def _words(
    kind: str, value: str, language: str, words: str
) -> list[tuple[str, str, str, str]]:
    return [(kind, value, language, w.replace("-", " ")) for w in words.split()]


RULES: list[tuple[str, str, str, str]] = [
    *_words("severity", "major", "zh", SAFETY_ZH),
    (
        "severity",
        "major",
        "zh",
        "re:(吃出|喝出|里面有|发现).{0,6}(玻璃|钢丝|刀片|铁丝)",
    ),
    *_words("severity", "major", "en", SAFETY_EN),
    *_words("severity", "urgent", "zh", THREAT_ZH),
    *_words("severity", "urgent", "en", THREAT_EN),
    *_words("emotion", "angry", "zh", ANGRY_ZH),
    *_words("emotion", "angry", "zh", THREAT_ZH),
    *_words("emotion", "angry", "en", ANGRY_EN),
    *_words("emotion", "angry", "en", THREAT_EN),
    ("emotion", "angry", "", "re:[!！]{3,}"),
    *_words("emotion", "unhappy", "zh", UNHAPPY_ZH),
    *_words("emotion", "unhappy", "en", UNHAPPY_EN),
]
