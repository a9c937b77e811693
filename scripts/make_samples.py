"""Write the committed sample source files in datasets/ for the fictional city 青川市.

Deterministic (one random.Random seeded "42:<dataset>" each): rerunning rewrites identical bytes. Each file
comes the way a department would send it (see datasets/README.md for format and encoding):

    .venv/bin/python scripts/make_samples.py

The datasets holding personal or restricted data (penalties, subsidies, social assistance,
hotline tickets, emergency depots) live in ``sample_sensitive.py``, the monthly statistics
(employment, 12345) in ``sample_statistics.py``; this module writes the rest and runs all.
"""

from __future__ import annotations

import random
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sample_sensitive  # noqa: E402
import sample_statistics  # noqa: E402
from samplecity import (  # noqa: E402
    AREAS,
    CENTER,
    CITY_CODE,
    CITY_NAME,
    DATASETS,
    TOWNSHIPS,
    company,
    fullwidth,
    jitter,
    landline,
    random_credit_code,
    schema_header,
    seeded,
    write_csv,
    write_json,
    write_xlsx,
)

ALL_AREAS = {CITY_CODE: f"{CITY_NAME}（全市）"} | AREAS

# 支出功能分类 (类 / 款) with a share of the total
BUDGET_TREE = [
    ("201", "一般公共服务支出", 0.11, [("20101", "人大事务"), ("20103", "政府办公厅（室）及相关机构事务"),
                                       ("20106", "财政事务"), ("20108", "审计事务"), ("20111", "纪检监察事务")]),
    ("203", "国防支出", 0.003, [("20306", "国防动员")]),
    ("204", "公共安全支出", 0.07, [("20402", "公安"), ("20404", "检察"), ("20405", "法院"), ("20406", "司法")]),
    ("205", "教育支出", 0.19, [("20501", "教育管理事务"), ("20502", "普通教育"), ("20503", "职业教育"),
                               ("20509", "教育费附加安排的支出")]),
    ("206", "科学技术支出", 0.05, [("20601", "科学技术管理事务"), ("20604", "技术研究与开发")]),
    ("207", "文化旅游体育与传媒支出", 0.03, [("20701", "文化和旅游"), ("20703", "体育")]),
    ("208", "社会保障和就业支出", 0.14, [("20801", "人力资源和社会保障管理事务"), ("20805", "行政事业单位养老支出"),
                                       ("20807", "就业补助"), ("20819", "最低生活保障"), ("20820", "临时救助")]),
    ("210", "卫生健康支出", 0.09, [("21002", "公立医院"), ("21004", "公共卫生"), ("21011", "行政事业单位医疗")]),
    ("211", "节能环保支出", 0.03, [("21103", "污染防治"), ("21104", "自然生态保护")]),
    ("212", "城乡社区支出", 0.12, [("21201", "城乡社区管理事务"), ("21203", "城乡社区公共设施")]),
    ("213", "农林水支出", 0.08, [("21301", "农业农村"), ("21303", "水利"), ("21305", "巩固脱贫攻坚成果衔接乡村振兴")]),
    ("214", "交通运输支出", 0.05, [("21401", "公路水路运输"), ("21406", "车辆购置税支出")]),
    ("221", "住房保障支出", 0.03, [("22101", "保障性安居工程支出"), ("22102", "住房改革支出")]),
    ("229", "其他支出", 0.017, [("22999", "其他支出")]),
]


def make_budget() -> None:
    rng = seeded("budget")
    total = 2_380_000.0  # 万元
    rows = []
    for code, name, share, items in BUDGET_TREE:
        weights = [rng.uniform(0.5, 2.0) for _ in items]
        this = round(total * share, 2)
        rows.append([code, name, 1, None, this, None])
        for (icode, iname), w in zip(items, weights, strict=True):
            amount = round(this * w / sum(weights), 2)
            last = round(amount / rng.uniform(0.9, 1.15), 2)
            rows.append([icode, iname, 2, last, amount, round((amount / last - 1) * 100, 1)])
    for row in rows:  # 类 totals: last year = sum of its 款
        if row[2] == 1:
            kids = [r for r in rows if r[2] == 2 and r[0].startswith(row[0])]
            row[3] = round(sum(r[3] for r in kids), 2)
            row[5] = round((row[4] / row[3] - 1) * 100, 1)
    notes = [["青川市2024年市级一般公共预算支出预算表（示例数据）"], ["单位：万元"],
             ["本表按《2024年政府收支分类科目》支出功能分类列示；“一般公共预算支出”工作表为数据表。"]]
    write_xlsx(DATASETS / "qc-budget-2024.xlsx",
               [("说明", None, notes),
                ("一般公共预算支出", schema_header("qc-budget.json"), rows)],
               widths={"A": 12, "B": 34, "C": 10, "D": 14, "E": 14, "F": 14})


DEPARTMENTS = ["市委办公室", "市人大常委会办公室", "市政府办公室", "市政协办公室", "市发展和改革委员会",
               "市经济和信息化局", "市教育局", "市科学技术局", "市公安局", "市民政局", "市司法局", "市财政局",
               "市人力资源和社会保障局", "市自然资源和规划局", "市生态环境局", "市住房和城乡建设局",
               "市交通运输局", "市水利局", "市农业农村局", "市商务局", "市文化广电旅游局", "市卫生健康委员会",
               "市退役军人事务局", "市应急管理局", "市审计局", "市市场监督管理局", "市统计局", "市医疗保障局",
               "市综合行政执法局", "市机关事务管理局", "市信访局", "市数据资源管理局"]


def _money_text(rng: random.Random, value: float) -> str | float:
    """Mostly plain numbers; some cells as departments typed them (¥, thousands, full-width)."""
    r = rng.random()
    if r < 0.08:
        return f"¥{value:,.2f}"
    if r < 0.14:
        return f"{value:,.2f}"
    if r < 0.18:
        return fullwidth(f"{value:.2f}")
    return f"{value:.2f}"


def make_sangong() -> None:
    rng = seeded("sangong")
    rows = []
    for year in (2022, 2023):
        for i, dept in enumerate(DEPARTMENTS, start=1):
            abroad = round(rng.choice([0, 0, 0, rng.uniform(3e4, 1.5e5)]), 2)
            car_buy = round(rng.choice([0, 0, 0, 0, rng.uniform(1.5e5, 3.2e5)]), 2)
            car_run = round(rng.uniform(2e4, 4.5e5), 2)
            recept = round(rng.uniform(5e3, 1.2e5), 2)
            total = round(abroad + car_buy + car_run + recept, 2)
            budget = round(total * rng.uniform(1.0, 1.3), 2)
            batches = rng.randrange(5, 120)
            rows.append([f"{100 + i:03d}", CITY_NAME + dept[1:], year,
                         *(_money_text(rng, v) for v in (budget, total, abroad, car_buy, car_run, recept)),
                         batches, batches * rng.randrange(3, 9)])
    write_csv(DATASETS / "qc-sangong-2022-2023.csv", schema_header("qc-sangong.json"), rows, "utf-8")


def make_debt() -> None:
    rng = seeded("debt")
    rows = []
    base = {code: rng.uniform(60, 160) for code in AREAS}  # 亿元, 2019 limit
    for year in range(2019, 2025):
        growth = 1 + 0.12 * (year - 2019)
        per_area = []
        for code, name in AREAS.items():
            limit = base[code] * growth
            general_share = rng.uniform(0.35, 0.5)
            balance = limit * rng.uniform(0.9, 0.99)
            per_area.append([code, name, limit, general_share, balance])
        city_own = [CITY_CODE, ALL_AREAS[CITY_CODE], 0.0, 0.45, 0.0]
        city_own[2] = sum(a[2] for a in per_area) * 1.35
        city_own[4] = sum(a[4] for a in per_area) * 1.34
        for code, name, limit, gshare, balance in [city_own, *per_area]:
            gl, sl = limit * gshare, limit * (1 - gshare)
            gb = min(balance * rng.uniform(0.92, 1.05) * gshare, gl)
            sb = min(balance - gb, sl)
            rows.append([year, code, name, *(round(v, 2) for v in (gl + sl, gl, sl, gb + sb, gb, sb)),
                         round(rng.uniform(62, 138), 1), round(rng.uniform(4.5, 14.5), 1)])
    write_csv(DATASETS / "qc-debt-2019-2024.csv", schema_header("qc-debt.json"), rows, "gbk")


TRADES = {"工程建设": ["建设工程", "市政工程", "园林绿化工程", "交通工程", "水利水电工程"],
          "政府采购": ["信息技术", "医疗器械", "办公设备", "物业管理", "环境科技"],
          "土地使用权": ["置业", "房地产开发", "实业"], "国有产权": ["投资", "实业"]}
PROJECTS = {"工程建设": ["道路提升改造工程", "污水管网建设工程", "中小学校舍改扩建工程", "河道综合整治工程",
                     "美丽乡村建设项目", "农村公路安全生命防护工程", "城市公园提升工程"],
            "政府采购": ["智慧城管平台采购项目", "医院医疗设备采购项目", "中小学教学设备采购项目",
                     "机关物业管理服务项目", "环境空气监测运维服务项目"],
            "土地使用权": ["国有建设用地使用权挂牌出让", "工业用地使用权挂牌出让"],
            "国有产权": ["国有资产转让", "国有企业闲置房产租赁"]}
TYPE_CODES = {"工程建设": "GC", "政府采购": "CG", "土地使用权": "TD", "国有产权": "CQ"}


def make_trading() -> None:
    rng = seeded("trading")
    rows = []
    for n in range(1, 421):
        kind = rng.choices(list(TRADES), weights=[5, 4, 1, 1])[0]
        year = rng.choice((2023, 2024))
        opened = date(year, 1, 1) + timedelta(days=rng.randrange(360))
        area = rng.choice(list(ALL_AREAS))
        place = AREAS.get(area, "")
        amount = {"工程建设": rng.uniform(80, 9000), "政府采购": rng.uniform(30, 1500),
                  "土地使用权": rng.uniform(800, 60000), "国有产权": rng.uniform(20, 800)}[kind]
        owner = {"工程建设": f"{CITY_NAME}{place}城市建设发展有限公司", "政府采购": f"{CITY_NAME}{place}机关事务管理中心",
                 "土地使用权": f"{CITY_NAME}自然资源和规划局", "国有产权": f"{CITY_NAME}国有资本投资运营有限公司"}[kind]
        rows.append([f"QCGG-{year}-{TYPE_CODES[kind]}-{n:04d}", f"{place}{rng.choice(PROJECTS[kind])}",
                     kind, owner, company(rng, rng.choice(TRADES[kind])),
                     random_credit_code(rng, "91", rng.choice(list(ALL_AREAS))), round(amount, 4),
                     opened.isoformat(), (opened + timedelta(days=rng.randrange(1, 8))).isoformat(), area])
    write_json(DATASETS / "qc-ggzy-trading.json", schema_header("qc-ggzy-trading.json"), rows)


METHODS = ["公开招标"] * 5 + ["竞争性磋商"] * 3 + ["竞争性谈判", "询价", "单一来源", "框架协议采购", "邀请招标"]


def make_procurement() -> None:
    rng = seeded("procurement")
    rows = []
    for n in range(1, 601):
        kind = rng.choices(["货物", "服务", "工程"], weights=[5, 4, 1])[0]
        item = {"货物": ["办公家具", "计算机设备", "教学仪器", "医疗设备", "执法记录仪"],
                "服务": ["物业管理服务", "信息系统运维服务", "审计服务", "保洁服务", "印刷服务"],
                "工程": ["办公楼维修工程", "零星修缮工程"]}[kind]
        amount = round(rng.uniform(2e4, 3e6), 2)
        signed = date(2024, 1, 2) + timedelta(days=rng.randrange(360))
        r = rng.random()
        amount_text = (f"¥{amount:,.2f}" if r < 0.07 else f"{amount:,.2f}" if r < 0.15
                       else f"{amount:.2f}元" if r < 0.18 else f"{amount:.2f}")
        signed_text = (f"{signed.year}年{signed.month}月{signed.day}日" if rng.random() < 0.1
                       else signed.isoformat())
        rows.append([f"QCCG2024-{n:05d}", CITY_NAME + rng.choice(DEPARTMENTS)[1:],
                     f"{rng.choice(item)}采购项目", rng.choice(METHODS), kind,
                     company(rng, rng.choice(TRADES["政府采购"])), random_credit_code(rng, "91", CITY_CODE),
                     amount_text, signed_text, rng.choice((30, 60, 90, 180, 365))])
    write_csv(DATASETS / "qc-procurement-contracts-2024.csv", schema_header("qc-procurement.json"),
              rows, "utf-8-sig")


STREETS = ["人民路", "江滨大道", "新华路", "月河街", "龙山路", "城南路", "北塘路", "青川大道", "文昌路", "学士街",
           "湖滨路", "凤凰路", "桥西路", "健康路", "解放路", "东风路", "朝阳路", "光明街"]
COMMUNITIES = ["江滨社区", "新华社区", "月河社区", "龙山社区", "城南社区", "北塘社区", "文昌社区", "学士社区",
               "湖滨社区", "凤凰社区", "桥西社区", "光明社区", "和平社区", "锦绣社区", "碧水社区", "阳光社区"]


def make_school_zones() -> None:
    rng = seeded("school_zones")
    rows = []
    streets = [c for c in TOWNSHIPS if c.startswith("330502")]
    for i, name in enumerate(["江滨", "新华", "月河", "龙山", "城南", "北塘", "文昌", "学士", "湖滨", "凤凰",
                              "桥西", "白沙", "桃源", "实验", "育才", "明德", "崇文", "启航"]):
        for stage in ("小学", "初中"):
            if stage == "初中" and i % 2:
                continue
            private = name in ("育才", "明德") and stage == "小学"
            school = f"{CITY_NAME}临江区{name}{'小学' if stage == '小学' else '中学'}"
            if private:
                school = f"{CITY_NAME}临江区{name}外国语学校（民办）"
            zone = ("临江区全区范围" if private else
                    "、".join(rng.sample(COMMUNITIES, 3)) + f"；{rng.choice(STREETS)}{rng.randrange(1, 200)}号至"
                    f"{rng.randrange(200, 600)}号（双号）")
            classes = rng.randrange(4, 13)
            rows.append([school, stage, "民办" if private else "公办", rng.choice(streets),
                         f"临江区{rng.choice(STREETS)}{rng.randrange(1, 500)}号", zone,
                         classes, classes * (40 if stage == "小学" else 45), landline(rng)])
    write_xlsx(DATASETS / "qc-school-zones-2024.xlsx",
               [("2024年招生范围", schema_header("qc-school-zones.json"), rows)],
               widths={"A": 34, "E": 30, "F": 60})


def make_land_acquisition() -> None:
    rng = seeded("land_acquisition")
    rows = []
    towns = [c for c in TOWNSHIPS if c[6] != "0"]
    for n in range(1, 81):
        year = rng.choice((2022, 2023, 2024))
        approved = date(year, 1, 5) + timedelta(days=rng.randrange(350))
        code = rng.choice(towns)
        area = round(rng.uniform(1.5, 45), 4)
        farm = round(area * rng.uniform(0.6, 0.95), 4)
        cultivated = round(farm * rng.uniform(0.3, 0.85), 4)
        by_state = area > 35
        approved_text = (f"{approved.year}年{approved.month}月{approved.day}日" if rng.random() < 0.3
                         else approved.isoformat())
        rows.append([f"{AREAS[code[:6]]}{year}年度第{n}批次城镇建设用地", "国务院" if by_state else "浙江省人民政府",
                     f"{'国函' if by_state else '浙土字'}〔{year}〕{rng.randrange(10, 900)}号", approved_text, code,
                     f"{TOWNSHIPS[code]}{rng.choice(['东村', '西村', '南湾村', '新塘村', '石桥村'])}"
                     f"第{rng.randrange(1, 9)}、{rng.randrange(9, 15)}村民小组", area, farm, cultivated,
                     rng.choice((52000, 58000, 61000, 64000, 72000)),
                     rng.choice(["货币补偿，纳入被征地农民养老保障", "货币补偿与留用地安置相结合", "货币补偿与住房安置相结合"])])
    write_csv(DATASETS / "qc-land-acquisition.csv", schema_header("qc-land-acquisition.json"), rows, "utf-8")


# HJ 633-2012 breakpoints: IAQI levels and 1-hour concentration limits (PM: 24-hour limits)
IAQI = (0, 50, 100, 150, 200, 300, 400, 500)
LIMITS = {"PM2.5": (0, 35, 75, 115, 150, 250, 350, 500), "PM10": (0, 50, 150, 250, 350, 420, 500, 600),
          "SO2": (0, 150, 500, 650, 800, 1600, 2100, 2620), "NO2": (0, 100, 200, 700, 1200, 2340, 3090, 3840),
          "O3": (0, 160, 200, 300, 400, 800, 1000, 1200), "CO": (0, 5, 10, 35, 60, 90, 120, 150)}
LEVELS = ((50, "优"), (100, "良"), (150, "轻度污染"), (200, "中度污染"), (300, "重度污染"), (500, "严重污染"))


def _iaqi(pollutant: str, value: float) -> int:
    bp = LIMITS[pollutant]
    for i in range(1, len(bp)):
        if value <= bp[i]:
            return int(-(-((IAQI[i] - IAQI[i - 1]) * (value - bp[i - 1]) / (bp[i] - bp[i - 1]) + IAQI[i - 1]) // 1))
    return 500


def make_air_quality() -> None:
    rng = seeded("air_quality")
    stations = [("1971A", "市监测站", "330502"), ("1972A", "仁皇山", "330502"), ("1973A", "望湖新区", "330503"),
                ("3305B", "清溪城区", "330521"), ("3306B", "云溪城区", "330523")]
    rows = []
    start = datetime(2024, 6, 1, 1)
    for code, name, area in stations:
        pm = rng.uniform(20, 40)
        for h in range(30 * 24):
            t = start + timedelta(hours=h)
            if rng.random() < 0.012:  # calibration or outage: the hour is missing
                rows.append([code, name, area, t.isoformat(), *["—"] * 9])
                continue
            pm = max(3.0, min(180.0, pm + rng.gauss(0, 4)))
            hour = t.hour
            conc = {"PM2.5": round(pm), "PM10": round(pm * rng.uniform(1.3, 1.9)),
                    "SO2": rng.randrange(3, 12), "NO2": round(rng.uniform(8, 35) * (1.6 if hour in (8, 18) else 1)),
                    "O3": round(max(5, 160 * max(0, 1 - abs(hour - 15) / 8) * rng.uniform(0.5, 1.2) + rng.uniform(5, 30))),
                    "CO": round(rng.uniform(0.3, 1.1), 1)}
            sub = {p: _iaqi(p, v) for p, v in conc.items()}
            aqi = max(sub.values())
            primary = max(sub, key=sub.get) if aqi > 50 else None
            level = next(name for top, name in LEVELS if aqi <= top)
            rows.append([code, name, area, t.isoformat(), aqi, level, primary,
                         conc["PM2.5"], conc["PM10"], conc["SO2"], conc["NO2"], conc["O3"], conc["CO"]])
    write_csv(DATASETS / "qc-air-quality-hourly-202406.csv", schema_header("qc-air-quality.json"), rows, "utf-8")


def make_bus_stops() -> None:
    rng = seeded("bus_stops")
    rows = []
    stop_no = 0
    names: dict[str, str] = {}
    for line in [str(n) for n in range(1, 29)] + ["101K", "102K", "201Z", "5B"]:
        n_stops = rng.randrange(12, 28)
        lon, lat = jitter(rng, CENTER, 0.12)
        heading = (rng.uniform(-0.006, 0.006), rng.uniform(-0.005, 0.005))
        stops = []
        for i in range(n_stops):
            lon, lat = round(lon + heading[0] + rng.uniform(-0.002, 0.002), 6), round(lat + heading[1] + rng.uniform(-0.002, 0.002), 6)
            stop_no += 1
            code = f"QCB{stop_no:05d}"
            names[code] = f"{rng.choice(STREETS)}{rng.choice(['', '东', '西', '南', '北', '口', '中段'])}" + (
                "站" if i not in (0, n_stops - 1) else "公交首末站")
            stops.append((code, lon, lat))
        ends = (names[stops[0][0]].removesuffix("公交首末站"), names[stops[-1][0]].removesuffix("公交首末站"))
        title = f"{line}路（{ends[0]}—{ends[1]}）"
        for direction, seq in (("上行", stops), ("下行", list(reversed(stops)))):
            for order, (code, lon, lat) in enumerate(seq, start=1):
                rows.append([line, title, direction, order, code, names[code], lon, lat])
    write_json(DATASETS / "qc-bus-stops.json", schema_header("qc-bus-stops.json"), rows)


HOSPITAL_KINDS = [("综合医院", "人民医院", "三级甲等", 900), ("中医医院", "中医院", "三级甲等", 600),
                  ("妇幼保健院", "妇幼保健院", "二级甲等", 300), ("专科医院", "精神卫生中心", "二级甲等", 400),
                  ("综合医院", "第二人民医院", "二级甲等", 450)]


def make_medical() -> None:
    rng = seeded("medical")
    rows = []
    for area, name in ALL_AREAS.items():
        prefix = CITY_NAME if area == CITY_CODE else f"{CITY_NAME}{name}"
        kinds = HOSPITAL_KINDS if area == CITY_CODE else HOSPITAL_KINDS[:2]
        for kind, suffix, grade, beds in kinds:
            if area != CITY_CODE:
                grade = "二级甲等"
                beds //= 2
            rows.append([prefix + suffix, random_credit_code(rng, "12", area), kind, grade, "非营利性", area,
                         f"{name.removesuffix('（全市）')}{rng.choice(STREETS)}{rng.randrange(1, 600)}号", beds,
                         landline(rng), *jitter(rng, CENTER, 0.15)])
    for code, town in TOWNSHIPS.items():
        area = code[:6]
        kind = "社区卫生服务中心" if code[6] == "0" else "乡镇卫生院"
        rows.append([f"{CITY_NAME}{AREAS[area]}{town.removesuffix('街道').removesuffix('镇').removesuffix('乡')}"
                     f"{'社区卫生服务中心' if kind == '社区卫生服务中心' else '中心卫生院'}",
                     random_credit_code(rng, "12", area), kind, "一级", "非营利性", area,
                     f"{AREAS[area]}{town}{rng.choice(STREETS)}{rng.randrange(1, 300)}号", rng.randrange(0, 80),
                     landline(rng), *jitter(rng, CENTER, 0.2)])
    for _ in range(90):
        area = rng.choice(list(AREAS))
        kind = rng.choice(["门诊部", "诊所", "诊所", "专科医院"])
        label = {"门诊部": "门诊部", "诊所": rng.choice(["口腔诊所", "中医诊所", "内科诊所"]),
                 "专科医院": rng.choice(["眼科医院", "口腔医院", "康复医院"])}[kind]
        profit = rng.random() < 0.8
        rows.append([f"{CITY_NAME}{AREAS[area]}{rng.choice(sample_sensitive.SHOP_BRANDS)}{label}",
                     random_credit_code(rng, "91" if profit else "52", area), kind,
                     "一级" if kind == "专科医院" else "未定级", "营利性" if profit else "非营利性", area,
                     f"{AREAS[area]}{rng.choice(STREETS)}{rng.randrange(1, 600)}号",
                     rng.randrange(20, 120) if kind == "专科医院" else 0, landline(rng), *jitter(rng, CENTER, 0.2)])
    write_csv(DATASETS / "qc-medical-institutions.csv", schema_header("qc-medical-institutions.json"), rows, "utf-8")


def main() -> int:
    DATASETS.mkdir(exist_ok=True)
    for make in (make_budget, make_sangong, make_debt, make_trading, make_procurement, make_school_zones,
                 make_land_acquisition, make_air_quality, make_bus_stops, make_medical,
                 *sample_statistics.MAKERS, *sample_sensitive.MAKERS):
        make()
        print(f"{make.__name__}: done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
