"""Sample datasets that hold personal or restricted data (all fictional, 示例数据).

Penalties (GBK CSV), farm subsidies by village (XLSX), the social-assistance roster
(conditional), 12345 tickets (conditional, JSON) and emergency depots (closed). The personal
data are syntactically valid so that the PII scan finds them and the masks have work to do.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from samplecity import (
    AREAS,
    CENTER,
    CITY_CODE,
    CITY_NAME,
    DATASETS,
    TOWNSHIPS,
    bank_card,
    credit_code,
    fullwidth,
    id_number,
    jitter,
    landline,
    mobile,
    person_name,
    random_credit_code,
    schema_header,
    seeded,
    write_csv,
    write_json,
    write_xlsx,
)

SHOP_BRANDS = ["好邻居", "惠民", "康乐", "百味", "金达", "福满多", "新概念", "阿香", "老街坊", "悦心", "仁和", "同心"]

# (violation, basis, category, fine range in 万元) -- the bases cite real articles
VIOLATIONS = [
    ("销售超过保质期的食品", "《中华人民共和国食品安全法》第一百二十四条第一款第（五）项", "罚款、没收违法所得", (0.5, 5)),
    ("未按规定明码标价", "《明码标价和禁止价格欺诈规定》第二十条", "罚款", (0.05, 0.5)),
    ("发布虚假广告", "《中华人民共和国广告法》第五十五条第一款", "罚款", (1, 20)),
    ("销售不合格产品", "《中华人民共和国产品质量法》第四十九条", "罚款、没收违法所得", (0.3, 8)),
    ("使用未经检验的特种设备", "《中华人民共和国特种设备安全法》第八十四条第（一）项", "罚款", (3, 30)),
    ("使用未经检定的计量器具", "《中华人民共和国计量法实施细则》第四十三条", "罚款", (0.1, 0.1)),
    ("未取得食品经营许可从事食品经营活动", "《中华人民共和国食品安全法》第一百二十二条第一款", "罚款、没收违法所得", (0.5, 5)),
    ("侵犯注册商标专用权", "《中华人民共和国商标法》第六十条第二款", "罚款、没收违法所得", (0.5, 15)),
    ("未按规定公示年度报告", "《企业信息公示暂行条例》第十八条", "警告", (0, 0)),
]
AUTHORITIES = {  # 处罚机关 -> (division, org-code body)
    f"{CITY_NAME}市场监督管理局": (CITY_CODE, "00254781"),
    f"{CITY_NAME}市场监督管理局临江分局": ("330502", "00254782"),
    f"{CITY_NAME}市场监督管理局望湖分局": ("330503", "00254783"),
}
SHOP_TRADES = ["小吃店", "便利店", "水果店", "五金店", "理发店", "副食品店", "服装店", "早餐店"]
COMPANY_TRADES = ["食品", "商贸", "超市", "餐饮管理", "电梯工程", "建材", "贸易", "药房连锁"]


def make_penalties() -> None:
    rng = seeded("penalties")
    rows = []
    authorities = {name: credit_code("11", div, body) for name, (div, body) in AUTHORITIES.items()}
    for n in range(1, 301):
        kind = rng.choices(["法人及其他组织", "个体工商户", "自然人"], weights=[5, 3, 2])[0]
        violation, basis, category, (lo, hi) = rng.choice(VIOLATIONS)
        authority = rng.choice(list(authorities))
        area = AUTHORITIES[authority][0]
        decided = date(2024, 1, 3) + timedelta(days=rng.randrange(355))
        fine = round(rng.uniform(lo, hi), 4) if hi else 0.0
        confiscated = round(rng.uniform(0.01, 1.5), 4) if "没收" in category else 0.0
        person = person_name(rng)
        if kind == "自然人":
            party, uscc, legal, natural = None, None, None, person
            idno, phone = id_number(rng, rng.choice(["330502", "330503", "330521", "330522", "330523"])), mobile(rng)
            violation = rng.choice(["无照经营（流动摊贩）", "销售超过保质期的食品", "未取得食品经营许可从事食品经营活动"])
        elif kind == "个体工商户":
            region = area if area != CITY_CODE else "330502"
            party = f"{AREAS[region]}{person[0]}记{rng.choice(SHOP_TRADES)}"
            uscc, legal, natural, idno, phone = random_credit_code(rng, "92", region), person, None, None, None
        else:
            party = f"{CITY_NAME}{rng.choice(SHOP_BRANDS)}{rng.choice(COMPANY_TRADES)}有限公司"
            uscc, legal, natural, idno, phone = random_credit_code(rng, "91", area), person, None, None, None
        short = {CITY_CODE: "青市监", "330502": "青市监临", "330503": "青市监望"}[area]
        rows.append([f"{short}处罚〔2024〕{n:03d}号", kind, party, uscc, legal, natural, idno, phone,
                     violation, f"当事人{violation}，经查证属实，违法事实清楚。", basis, category,
                     fine, confiscated, decided.isoformat(), authority, authorities[authority], area])
    write_csv(DATASETS / "qc-penalties-2024.csv", schema_header("qc-penalties.json"), rows, "gbk")


VILLAGES = ["东村", "西村", "南湾村", "新塘村", "石桥村", "竹林村", "上庄村", "下溪村", "白云村", "大坞村"]


def make_farm_subsidies() -> None:
    rng = seeded("farm_subsidies")
    rows = []
    rate = 105.6  # 元/亩
    towns = [c for c in TOWNSHIPS if c.startswith("330523") and c[6] != "0"]
    for code in towns:
        for village in rng.sample(VILLAGES, 4):
            for _ in range(rng.randrange(30, 60)):
                mu = round(rng.uniform(0.8, 12.0), 2)
                amount = round(mu * rate, 2)
                mu_cell: float | str = mu
                amount_cell: float | str = amount
                if rng.random() < 0.04:  # typed as full-width text in the village's sheet
                    mu_cell = fullwidth(f"{mu:.2f}")
                if rng.random() < 0.03:
                    amount_cell = f"{amount:,.2f}"
                rows.append([TOWNSHIPS[code], code, f"{TOWNSHIPS[code][:-1]}{village}", person_name(rng),
                             bank_card(rng), mu_cell, rate, amount_cell, "2024-06-18"])
    write_xlsx(DATASETS / "qc-farm-subsidies-2024.xlsx",
               [("2024年耕地地力保护补贴", schema_header("qc-farm-subsidies.json"), rows)],
               widths={"A": 10, "B": 12, "C": 14, "D": 10, "E": 22})


def make_social_assistance() -> None:
    rng = seeded("social_assistance")
    rows = []
    for n in range(1, 421):
        code = rng.choice(sorted(TOWNSHIPS))
        urban = code[6] == "0"
        kind = rng.choices(["城市低保" if urban else "农村低保", "特困供养"], weights=[6, 1])[0]
        family = 1 if kind == "特困供养" else rng.randrange(1, 6)
        covered = family if rng.random() < 0.7 else max(1, family - 1)
        standard = 1185 if kind != "特困供养" else 1541  # 元/人·月
        since = date(2015, 1, 1) + timedelta(days=rng.randrange(3400))
        rows.append([f"QCDB{n:07d}", code, rng.choice(["江滨社区", "新华社区", "月河社区"]) if urban
                     else f"{TOWNSHIPS[code][:-1]}{rng.choice(VILLAGES)}", person_name(rng),
                     id_number(rng, code[:6], born_from=1935, born_to=1995), kind, family, covered,
                     round(covered * standard * rng.uniform(0.4, 1.0), 2), f"{since:%Y-%m}"])
    write_csv(DATASETS / "qc-social-assistance.csv", schema_header("qc-social-assistance.json"), rows, "utf-8")


TOPICS = {
    "城乡建设": ["小区道路破损需修复", "路灯不亮", "建筑工地夜间施工扰民"], "市场监管": ["商家拒绝退货", "预付卡消费纠纷", "价格虚高"],
    "交通运输": ["公交班次太少", "出租车拒载", "公交站台缺少遮雨棚"], "生态环境": ["餐饮油烟扰民", "河道有异味", "企业夜间排放废气"],
    "教育": ["咨询入学划片范围", "校外培训机构退费", "学校周边交通拥堵"], "卫生健康": ["医院挂号难", "咨询疫苗接种", "诊所卫生条件差"],
    "劳动和社会保障": ["拖欠工资", "咨询社保缴费", "咨询失业保险金申领"], "公安": ["咨询户籍迁移", "噪音扰民", "车辆乱停放"],
    "住房保障": ["咨询公租房申请", "物业服务不到位", "房屋漏水"], "农业农村": ["咨询耕地地力保护补贴", "农村道路维修", "灌溉水渠堵塞"],
    "其他": ["表扬工作人员", "政策建议", "咨询办事流程"],
}
HANDLERS = {"城乡建设": "住房和城乡建设局", "市场监管": "市场监督管理局", "交通运输": "交通运输局", "生态环境": "生态环境局",
            "教育": "教育局", "卫生健康": "卫生健康委员会", "劳动和社会保障": "人力资源和社会保障局", "公安": "公安局",
            "住房保障": "住房和城乡建设局", "农业农村": "农业农村局", "其他": "政务服务管理办公室"}


def make_hotline_tickets() -> None:
    rng = seeded("hotline_tickets")
    rows = []
    start = datetime(2024, 6, 1, 8)
    for n in range(1, 801):
        received = start + timedelta(minutes=rng.randrange(30 * 24 * 60))
        category = rng.choice(list(TOPICS))
        topic = rng.choice(TOPICS[category])
        kind = ("表扬" if topic.startswith("表扬") else "建议" if "建议" in topic
                else "咨询" if topic.startswith("咨询") else rng.choice(["投诉", "求助", "举报"]))
        code = rng.choice(sorted(TOWNSHIPS))
        closed = rng.random() < 0.93
        done = received + timedelta(hours=rng.uniform(2, 24 * 12)) if closed else None
        on_time = (done - received).days <= 10 if done else None
        rating = rng.choices(["满意", "基本满意", "不满意", "未回访"], weights=[70, 15, 5, 10])[0] if closed else "未回访"
        area_name = AREAS[code[:6]]
        handler = rng.choice([f"{CITY_NAME}{HANDLERS[category]}", f"{area_name}{TOWNSHIPS[code]}"])
        rows.append([f"QC{received:%Y%m%d}{n:04d}", received.isoformat(), rng.choice(["电话"] * 6 + ["网站", "微信", "政务APP"]),
                     category, kind, f"{area_name}{TOWNSHIPS[code]}：{topic}", code, handler,
                     done.replace(microsecond=0).isoformat() if done else None, on_time, rating, mobile(rng)])
    write_json(DATASETS / "qc-hotline-tickets-202406.json", schema_header("qc-hotline-tickets.json"), rows)


DEPOT_STOCK = {"防汛抗旱": [("编织袋", "条"), ("救生衣", "件"), ("抽水泵", "台")],
               "森林防灭火": [("风力灭火机", "台"), ("灭火水枪", "支")],
               "生活救助": [("帐篷", "顶"), ("折叠床", "张"), ("棉被", "床")],
               "医疗防疫": [("医用口罩", "只"), ("防护服", "套")],
               "抢险救援": [("发电机组", "台"), ("照明灯塔", "台")]}


def make_emergency_depots() -> None:
    rng = seeded("emergency_depots")
    rows = []
    places = [(CITY_CODE, "市级", f"{CITY_NAME}")] + [(c, "区县级", f"{CITY_NAME}{n}") for c, n in AREAS.items()]
    places += [(c[:6], "乡镇级", f"{AREAS[c[:6]]}{TOWNSHIPS[c]}") for c in sorted(TOWNSHIPS) if c[6] != "0"][:8]
    for i, (area, level, prefix) in enumerate(places, start=1):
        lon, lat = jitter(rng, CENTER, 0.2)
        phone = landline(rng)
        for category in rng.sample(list(DEPOT_STOCK), 3 if level == "乡镇级" else 5):
            for item, unit in DEPOT_STOCK[category]:
                amount = rng.randrange(20, 5000) * (5 if level == "市级" else 1)
                rows.append([f"QCYJ{i:03d}", f"{prefix}应急物资储备库", level, area, category, item,
                             amount, unit, lon, lat, phone])
    write_csv(DATASETS / "qc-emergency-depots.csv", schema_header("qc-emergency-depots.json"), rows, "utf-8")


MAKERS = (make_penalties, make_farm_subsidies, make_social_assistance, make_hotline_tickets,
          make_emergency_depots)
