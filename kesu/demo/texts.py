"""Chinese texts of the demo: products, complaint templates and the staff's wording.

Written for Kesu's demo (not taken from any data set). Templates use the placeholders
{product}, {days}, {hours} and {amount}; each complaint template names the product
kinds it fits, so a sofa never "leaks water from the drum".
"""

from __future__ import annotations

from typing import NamedTuple


class ProductSpec(NamedTuple):
    code: str
    name: str
    name_en: str
    model_number: str
    kind: str  # appliance | digital | furniture
    price: int  # yuan, scales compensation amounts


PRODUCTS: list[ProductSpec] = [
    ProductSpec(
        "washer-drum",
        "滚筒洗衣机",
        "Front-load washer",
        "XQG100-B14",
        "appliance",
        3299,
    ),
    ProductSpec(
        "ac-split",
        "变频挂式空调",
        "Inverter split AC",
        "KFR-35GW/N1",
        "appliance",
        2899,
    ),
    ProductSpec(
        "fridge-4door",
        "十字四门冰箱",
        "Four-door fridge",
        "BCD-468WP",
        "appliance",
        4599,
    ),
    ProductSpec(
        "water-heater", "燃气热水器", "Gas water heater", "JSQ30-16T", "appliance", 2199
    ),
    ProductSpec(
        "tv-65", "65英寸智能电视", "65-inch smart TV", "65Q7K", "appliance", 3999
    ),
    ProductSpec(
        "range-hood",
        "侧吸式油烟机",
        "Side-draft range hood",
        "CXW-260-J5",
        "appliance",
        2599,
    ),
    ProductSpec(
        "robot-vacuum",
        "扫拖一体机器人",
        "Robot vacuum and mop",
        "RV-T20",
        "appliance",
        2499,
    ),
    ProductSpec(
        "phone-pro",
        "旗舰智能手机",
        "Flagship smartphone",
        "P60 Pro 256G",
        "digital",
        5999,
    ),
    ProductSpec(
        "laptop-14",
        "14英寸轻薄笔记本",
        "14-inch ultrabook",
        "Book14 i5/16G",
        "digital",
        4999,
    ),
    ProductSpec(
        "tablet-11", "11英寸平板电脑", "11-inch tablet", "Pad11 128G", "digital", 2299
    ),
    ProductSpec(
        "sofa-3", "布艺三人沙发", "Three-seat fabric sofa", "SF-2203", "furniture", 3680
    ),
    ProductSpec(
        "mattress",
        "独立弹簧床垫",
        "Pocket-spring mattress",
        "MT-180",
        "furniture",
        2580,
    ),
    ProductSpec(
        "dining-table",
        "实木餐桌椅套装",
        "Solid-wood dining set",
        "DT-1406",
        "furniture",
        4280,
    ),
    ProductSpec(
        "wardrobe", "推拉门衣柜", "Sliding-door wardrobe", "WD-2420", "furniture", 5200
    ),
]

APPLIANCE = ("appliance",)
DIGITAL = ("digital",)
FURNITURE = ("furniture",)
ELECTRIC = ("appliance", "digital")
ANY = ("appliance", "digital", "furniture")

# sub-category code → [(product kinds, description template), …]
COMPLAINTS: dict[str, list[tuple[tuple[str, ...], str]]] = {
    "hardware_fault": [
        (
            APPLIANCE,
            "买的{product}用了不到{days}天就坏了，开机后显示故障代码，完全不能用。",
        ),
        (APPLIANCE, "{product}运行时噪音特别大，像有东西在里面撞击，晚上根本睡不着。"),
        (
            DIGITAL,
            "{product}用了{days}天突然黑屏，充电也没有反应，里面的资料都取不出来。",
        ),
        (DIGITAL, "{product}电池鼓包，后盖都被顶起来了，续航从一天变成两三个小时。"),
        (FURNITURE, "{product}的五金件断了，柜门关不上，才用了{days}天。"),
    ],
    "software_problem": [
        (DIGITAL, "{product}升级系统后频繁死机重启，每天好几次，工作文件丢了两次。"),
        (
            DIGITAL,
            "{product}的指纹和面容识别升级后都失灵了，只能输密码，客服让等更新。",
        ),
        (APPLIANCE, "{product}的手机App一直连不上设备，配网教程照做了十几遍还是失败。"),
        (APPLIANCE, "{product}的智能模式自己乱跳，预约功能设置了也不执行。"),
    ],
    "appearance_defect": [
        (ANY, "收到的{product}表面有明显划痕和磕碰，包装却是完好的，怀疑是翻新机。"),
        (FURNITURE, "{product}颜色和样品差别很大，还有一处开裂，油漆气味也很重。"),
        (ELECTRIC, "{product}屏幕边缘有一条亮线，开机就能看到，影响使用。"),
    ],
    "performance_shortfall": [
        (APPLIANCE, "{product}宣传说一级能效、很省电，实际一个月电费多了{amount}元。"),
        (APPLIANCE, "{product}制冷效果很差，开到16度一个小时房间还是28度。"),
        (
            DIGITAL,
            "{product}宣传续航{hours}小时，实际正常使用不到一半，玩一会儿就发烫。",
        ),
        (FURNITURE, "{product}宣传是实木的，拆开发现里面是刨花板，和描述严重不符。"),
    ],
    "dead_on_arrival": [
        (ELECTRIC, "{product}开箱第一次通电就跳闸，完全无法开机，属于开箱即损。"),
        (APPLIANCE, "{product}安装好第一天就漏水，师傅说是内部管路有问题。"),
        (DIGITAL, "新买的{product}开箱就无法开机，屏幕只亮一下就灭了。"),
    ],
    "repair_skill": [
        (
            APPLIANCE,
            "师傅上门修{product}，拆了半天没修好，走的时候还把我家地板划坏了。",
        ),
        (DIGITAL, "{product}送修回来，按键松动，外壳缝隙变大，明显是维修时没装好。"),
        (APPLIANCE, "{product}维修后原来的问题没解决，又多了一个异响。"),
    ],
    "misdiagnosis": [
        (
            APPLIANCE,
            "维修点说{product}是主板坏了要换，收了钱换完还是一样，后来才查出是传感器问题。",
        ),
        (DIGITAL, "{product}明明是屏幕排线问题，检测却说是人为进水，不给保修。"),
    ],
    "wrong_parts": [
        (APPLIANCE, "给{product}换的配件型号不对，装上以后门都关不严，还说是原厂件。"),
        (DIGITAL, "{product}换的电池不是原装的，容量明显小，还没有任何说明。"),
        (FURNITURE, "{product}补发的配件尺寸不对，螺丝孔对不上，只能继续等。"),
    ],
    "repair_delay": [
        (
            ANY,
            "{product}送修已经{days}天了，每次打电话都说在等配件，一直没有明确时间。",
        ),
        (
            APPLIANCE,
            "约好今天上门修{product}，等了一整天师傅没来，也没人通知，请假白请了。",
        ),
        (DIGITAL, "{product}寄回维修中心{days}天没有任何进度，查询显示一直在检测中。"),
    ],
    "repeat_repair": [
        (APPLIANCE, "{product}同一个问题已经修了三次，每次好几天又坏，要求换新。"),
        (
            DIGITAL,
            "{product}主板修了两次还是自动关机，保修期内反复维修，希望直接退货。",
        ),
    ],
    "warranty_dispute": [
        (ANY, "{product}还在保修期内，门店却说不在保修范围，要收{amount}元维修费。"),
        (APPLIANCE, "购买时承诺{product}整机保修三年，现在压缩机坏了却说只保一年。"),
        (DIGITAL, "{product}没有摔过也没进水，检测说人为损坏，拒绝保修，我不认可。"),
    ],
    "opaque_fees": [
        (APPLIANCE, "师傅上门修{product}，收了{amount}元，没有收费标准也不给发票。"),
        (ANY, "安装{product}时突然要加收辅材费和远程费，下单时完全没有提到。"),
    ],
    "overcharge": [
        (APPLIANCE, "{product}换个小配件就收了{amount}元，比官方价目表贵了一倍多。"),
        (ANY, "订单里{product}的运费被重复扣了两次，客服说核实后退回，到现在没退。"),
    ],
    "price_protection": [
        (
            ANY,
            "{product}买了才{days}天就降价{amount}元，申请保价被拒绝，说活动价不参与。",
        ),
        (ANY, "同一款{product}，门店价比线上贵了{amount}元，店员当时说是全网最低价。"),
    ],
    "refund_delay": [
        (ANY, "{product}退货已经签收{days}天了，退款还没到账，客服只说在处理。"),
        (
            ANY,
            "取消了{product}的订单，定金{amount}元说三个工作日内退回，现在过去两周了。",
        ),
    ],
    "fire_smoke": [
        (APPLIANCE, "{product}使用时突然冒烟，有很浓的烧焦味，插头都烧黑了，吓坏了。"),
        (DIGITAL, "{product}充电时突然冒烟发烫，差点着火，充电器是原装的。"),
    ],
    "electric_shock": [
        (APPLIANCE, "摸{product}的外壳有麻手的感觉，家里有小孩，非常危险。"),
        (APPLIANCE, "{product}一开机家里的漏电保护器就跳闸，电工说是机器漏电。"),
    ],
    "personal_injury": [
        (
            FURNITURE,
            "{product}的椅子腿突然断裂，老人摔倒了，去医院检查花了{amount}元。",
        ),
        (APPLIANCE, "{product}玻璃面板突然自爆，碎片划伤了孩子的手。"),
        (FURNITURE, "{product}柜门的滑轨脱落砸到了脚，脚背肿了好几天。"),
    ],
    "harmful_substance": [
        (FURNITURE, "{product}买回来{days}天了甲醛味还是很刺鼻，检测报告显示超标。"),
        (FURNITURE, "{product}有很重的胶水味，孩子睡了几天皮肤起红疹。"),
    ],
    "delivery_delay": [
        (ANY, "{product}承诺三天送达，已经过去{days}天了还没发货，客服说仓库缺货。"),
        (ANY, "{product}的物流信息{days}天没更新了，打电话给快递也说不清楚在哪里。"),
        (FURNITURE, "约好周六送{product}，一直等到晚上都没送来，也没人提前打招呼。"),
    ],
    "transit_damage": [
        (ANY, "收到的{product}外箱严重破损，机器侧面凹进去一块，快递员不让开箱验货。"),
        (FURNITURE, "{product}送到时边角被压坏了，送货师傅说是仓库出来就这样。"),
    ],
    "wrong_item": [
        (ANY, "下单买的是{product}，送来的型号不对，颜色也不一样。"),
        (ANY, "{product}少发了配件，说明书上写的赠品和遥控器都没有。"),
    ],
    "installation": [
        (APPLIANCE, "安装师傅装{product}时打孔位置错了，墙面开裂，还漏装了排水管。"),
        (FURNITURE, "{product}安装后柜体不平，推拉门一直晃，师傅说就是这样。"),
        (APPLIANCE, "{product}预约安装{days}天了一直没人来，东西只能堆在客厅。"),
    ],
    "rude_staff": [
        (ANY, "去门店咨询{product}的问题，店员态度非常差，说爱买不买，还当众嘲讽我。"),
        (ANY, "打客服电话问{product}维修进度，客服很不耐烦，直接挂了电话。"),
    ],
    "buck_passing": [
        (ANY, "{product}的问题门店让找厂家，厂家让找门店，踢了{days}天皮球没人管。"),
        (ANY, "反映{product}的问题后说48小时内回电，到现在没人联系我。"),
    ],
    "broken_promise": [
        (ANY, "买{product}时承诺送延保和免费安装，现在安装要收费，延保也查不到。"),
        (ANY, "上次投诉{product}时答应补偿{amount}元，过去一个月了一直没兑现。"),
    ],
    "other_issue": [
        (ANY, "{product}的发票开错了抬头，要求重开好几次都没处理。"),
        (ANY, "会员积分买{product}时没有抵扣，客服说系统问题，但一直没补。"),
    ],
}

# top-level category code → what the customer typically asks for
DEMANDS: dict[str, list[str]] = {
    "product_quality": [
        "要求换新机",
        "要求退货退款",
        "要求免费维修并延长保修",
        "要求尽快给出检测结果",
    ],
    "after_sales": [
        "要求换一位师傅重新上门",
        "要求明确维修时间",
        "要求免除维修费用",
        "要求换新",
    ],
    "price_charges": [
        "要求退还多收的费用",
        "要求补差价",
        "要求出具收费明细和发票",
        "要求尽快退款",
    ],
    "safety": ["要求上门检测并赔偿损失", "要求全额退款并书面道歉", "要求承担医药费"],
    "logistics": [
        "要求尽快送货",
        "要求换货",
        "要求重新安装并修复墙面",
        "要求补发缺少的配件",
    ],
    "service_attitude": ["要求当事员工道歉", "要求给个说法", "要求专人负责跟进"],
    "other": ["要求尽快处理", "要求补发"],
}

# resolution type → plan descriptions
PLANS: dict[str, list[str]] = {
    "repair": [
        "安排高级工程师{days}日内上门免费维修，更换故障部件。",
        "寄回维修中心加急检修，来回运费由我方承担。",
    ],
    "exchange": [
        "经检测属于质量问题，为顾客更换同型号新机。",
        "调货为顾客换新，送货上门并回收旧机。",
    ],
    "return_refund": [
        "同意退货，上门取件后全额退款{amount}元。",
        "办理退货退款，退款原路返回。",
    ],
    "partial_refund": [
        "协商退还部分货款{amount}元，顾客保留商品。",
        "退还差价{amount}元。",
    ],
    "compensation_coupon": [
        "赠送{amount}元购物券，并延长保修一年。",
        "发放{amount}元无门槛优惠券作为补偿。",
    ],
    "compensation_service": [
        "免费延保两年并赠送一次深度清洗服务。",
        "免费上门保养一次并更换全部易损件。",
    ],
    "compensation_cash": [
        "赔偿顾客{amount}元，含误工及相关损失。",
        "一次性现金补偿{amount}元。",
    ],
    "apology": [
        "由门店店长致电道歉，并对当事员工进行培训。",
        "书面致歉并说明整改措施。",
    ],
    "explanation": [
        "向顾客解释保修条款和收费标准，提供书面说明。",
        "说明物流延误原因并告知最新送达时间。",
    ],
}

VERIFICATION_NOTES: dict[str, list[str]] = {
    "confirmed": [
        "调取了检测记录和订单信息，情况属实。",
        "师傅上门确认故障存在，与顾客描述一致。",
        "查看监控和通话录音，确认属实。",
    ],
    "partly_confirmed": [
        "故障属实，但顾客所说的收费情况与记录不完全一致。",
        "部分属实：产品有问题，但损坏程度没有描述的严重。",
    ],
    "not_confirmed": [
        "检测未发现故障，运行正常。",
        "订单记录显示已按约定时间送达，与描述不符。",
    ],
}

REJECT_REASONS = [
    "重复投诉，已在之前的工单中处理。",
    "经核实不属于本公司销售的商品。",
    "顾客撤回投诉，问题已自行解决。",
    "联系不上顾客，信息无法核实，且超过投诉期限。",
]
WAIT_REASONS = [
    "请顾客补充购买凭证和故障照片。",
    "等待顾客确认上门时间。",
    "请顾客提供发票和保修卡。",
    "顾客出差，约定下周再联系。",
]
REOPEN_REASONS = [
    "顾客回访时表示问题再次出现。",
    "顾客对处理结果不满意，要求重新处理。",
    "维修后同样故障又出现了。",
]
RESOLUTION_NOTES = [
    "已按方案处理完毕，顾客确认。",
    "方案已执行，已电话告知顾客。",
    "处理完成，相关凭证已上传。",
]
APPROVAL_NOTES = ["同意，按方案执行。", "金额合理，批准。", "同意，注意留存凭证。"]
REFUSAL_NOTES = [
    "补偿金额偏高，请先与顾客协商换货方案。",
    "责任尚未厘清，请补充检测报告后再提交。",
]
COMMUNICATIONS = [
    ("call", "outbound", "致电顾客，了解具体情况并致歉，顾客情绪基本平稳。"),
    ("call", "inbound", "顾客来电询问进度，已告知正在处理，预计两天内答复。"),
    ("sms", "outbound", "短信告知顾客投诉已受理及工单编号。"),
    ("call", "outbound", "向顾客说明处理方案，顾客表示可以接受。"),
    ("visit", "outbound", "上门查看现场情况并拍照留存。"),
    ("email", "outbound", "邮件发送处理方案及退款说明。"),
]
# The first contact after receipt, which meets the response deadline (首问负责).
FIRST_CONTACTS = [
    ("call", "outbound", "致电顾客确认投诉内容，告知已受理及处理时限。"),
    ("sms", "outbound", "短信告知顾客投诉已受理及工单编号。"),
    ("call", "outbound", "回电顾客致歉，登记诉求，承诺尽快安排处理。"),
    ("email", "outbound", "回复邮件，确认已收到投诉并告知工单编号。"),
]
NOTES = [
    "同一批次已有类似反馈，建议质量部关注。",
    "顾客为老会员，注意沟通方式。",
    "已联系供应商确认配件到货时间。",
    "需门店提供当天的监控录像。",
]
REPLIES = [
    "您好，您的问题我们已经在处理，有进展会第一时间通知您。",
    "您好，上门时间已安排好，师傅会提前半小时电话联系您。",
]
FEEDBACK_NOTES: dict[str, list[str]] = {
    "satisfied": ["顾客对处理结果满意，感谢跟进。", "回访顾客，表示满意。"],
    "partly_satisfied": [
        "顾客基本认可，但觉得处理时间太长。",
        "问题已解决，顾客对补偿金额有些意见。",
    ],
    "dissatisfied": [
        "顾客表示问题没有解决，不满意。",
        "顾客认为补偿不够，要求重新处理。",
    ],
    "unreachable": ["回访三次未接通，按规定结案。", "电话停机，短信回访无回复。"],
}

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
    "彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金"
    "石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
    "万钱严覃武戴莫孔向汤"
)
GIVEN_NAMES = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "文",
    "华",
    "红梅",
    "志强",
    "晓东",
    "雪",
    "婷婷",
    "浩然",
    "子涵",
    "宇轩",
    "欣怡",
    "梓萱",
    "俊杰",
]
STREETS: dict[str, list[str]] = {
    "上海": ["徐汇区漕溪北路", "浦东新区张杨路", "闵行区七莘路", "静安区共和新路"],
    "北京": [
        "朝阳区朝阳北路",
        "海淀区中关村大街",
        "丰台区南三环西路",
        "通州区新华大街",
    ],
    "广州": ["天河区天河路", "海珠区江南大道", "番禺区市桥路", "白云区机场路"],
    "成都": ["锦江区春熙路", "武侯区人民南路", "高新区天府大道", "成华区建设路"],
    "杭州": ["西湖区文三路", "滨江区江南大道", "余杭区文一西路", "拱墅区莫干山路"],
    "乌鲁木齐": [
        "天山区解放北路",
        "沙依巴克区友好南路",
        "新市区北京南路",
        "水磨沟区南湖路",
    ],
}
EMAIL_DOMAINS = ["qq.com", "163.com", "126.com", "sina.com", "outlook.com"]
PLATFORMS = ["JD", "TM", "PDD", "DY"]

# Put around a description so that repeated templates still read like different people.
OPENINGS = [
    "",
    "",
    "",
    "我是你们的老顾客了，",
    "{month}月{day}日在{store}买的{product}，",
    "在贵店网上旗舰店下单的{product}，",
    "家里老人反映，",
    "你好，",
]
CLOSINGS = [
    "",
    "",
    "希望尽快给个答复。",
    "请尽快联系我处理。",
    "如果再不解决我会向12315投诉。",
    "已经打过两次电话了，请重视。",
    "请给个明确的处理时间。",
]

HANDOVER_REASONS = ["原受理人休假，转交跟进。", "顾客要求换一位客服对接。"]
# department code → what other departments ask it for
COLLABORATION_REQUESTS: dict[str, list[str]] = {
    "customer-service": [
        "请客服中心调取顾客来电录音。",
        "请客服中心协助联系顾客确认地址。",
    ],
    "after-sales": [
        "请售后安排师傅上门检测并出具检测报告。",
        "请售后确认配件库存和到货时间。",
    ],
    "logistics": [
        "请物流部提供签收记录和运输轨迹。",
        "请物流部核实送货师傅当天的派送情况。",
    ],
    "quality": [
        "请质量部确认该批次是否有同类问题。",
        "请质量部对退回的样机做故障分析。",
    ],
    "store-ops": [
        "请门店提供当天的销售记录和监控录像。",
        "请门店核实店员当时的承诺内容。",
    ],
}
COLLABORATION_DONE = [
    "已处理，相关记录已上传到工单。",
    "检测报告已出，结论见说明。",
    "已核实，情况与顾客描述一致。",
]
COLLABORATION_DECLINED = ["不属于本部门职责，请联系厂家售后。"]
