"""A generated government catalogue for search: places x subjects x years, seeded (random.Random).

Used by the relevance test (a few thousand entries) and by bench/search.py (a million). Each entry
keeps what it was made from (place, subject, year) so that a relevance query can name its expected
datasets by those facts instead of by ids found by searching.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass

# place, English name
PLACES = [("上城区", "Shangcheng"), ("西湖区", "Xihu"), ("滨江区", "Binjiang"), ("萧山区", "Xiaoshan"),
          ("余杭区", "Yuhang"), ("临平区", "Linping"), ("钱塘区", "Qiantang"), ("富阳区", "Fuyang"),
          ("临安区", "Lin'an"), ("桐庐县", "Tonglu"), ("淳安县", "Chun'an"), ("建德市", "Jiande"),
          ("拱墅区", "Gongshu"), ("鹿城区", "Lucheng"), ("龙湾区", "Longwan"), ("瓯海区", "Ouhai"),
          ("洞头区", "Dongtou"), ("乐清市", "Yueqing"), ("瑞安市", "Rui'an"), ("永嘉县", "Yongjia")]


@dataclass(frozen=True)
class Subject:
    """What a dataset is about: its words in Chinese and English, theme, department and keywords."""

    zh: str
    en: str
    theme: str
    department: str
    keywords: tuple[str, ...]
    columns: tuple[str, ...]


SUBJECTS = [
    Subject("空气质量", "air quality", "environment", "生态环境局", ("空气质量", "AQI", "PM2.5"), ("station", "pm25", "aqi")),
    Subject("财政预算", "budget", "fiscal", "财政局", ("预算", "财政"), ("item", "budget_amount", "year")),
    Subject("财政决算", "final accounts", "fiscal", "财政局", ("决算", "财政"), ("item", "final_amount", "year")),
    Subject("三公经费", "three public expenses", "fiscal", "财政局", ("三公经费", "公务接待"), ("department", "amount")),
    Subject("政府债务", "government debt", "government-debt", "财政局", ("政府债务", "债务余额"), ("debt_limit", "balance")),
    Subject("公共资源交易", "public resource trading", "public-resource-trading", "公共资源交易中心",
            ("招投标", "中标"), ("project", "winner", "price")),
    Subject("政府采购合同", "government procurement contracts", "public-resource-trading", "财政局",
            ("政府采购", "采购合同"), ("contract", "supplier", "amount")),
    Subject("征地补偿", "land acquisition compensation", "land-acquisition", "自然资源和规划局",
            ("征地", "补偿标准"), ("parcel", "area", "compensation")),
    Subject("义务教育招生", "school enrolment", "education-enrolment", "教育局", ("招生", "学区", "划片"),
            ("school", "zone", "places")),
    Subject("医疗机构", "medical institutions", "health", "卫生健康委员会", ("医院", "卫生院", "床位"),
            ("institution", "beds", "address")),
    Subject("就业登记", "employment registration", "employment", "人力资源和社会保障局", ("就业", "失业"),
            ("month", "registered", "unemployed")),
    Subject("最低生活保障", "minimum living allowance", "social-assistance", "民政局", ("低保", "社会救助"),
            ("household", "members", "allowance")),
    Subject("涉农补贴", "agricultural subsidies", "agricultural-subsidies", "农业农村局", ("涉农补贴", "惠农"),
            ("village", "farmer", "subsidy")),
    Subject("耕地地力保护补贴", "cultivated land protection subsidies", "agricultural-subsidies", "农业农村局",
            ("耕地", "补贴"), ("village", "area", "subsidy")),
    Subject("行政许可", "administrative licences", "administrative-licensing", "行政审批局", ("许可", "审批"),
            ("licence", "holder", "issued")),
    Subject("行政处罚", "administrative penalties", "administrative-penalties", "市场监督管理局",
            ("处罚", "双随机一公开"), ("case", "party", "penalty")),
    Subject("热线工单", "hotline tickets", "hotline-12345", "12345政务服务热线", ("12345", "诉求"),
            ("ticket", "category", "status")),
    Subject("公交站点", "bus stops", "transport", "交通运输局", ("公交", "站点"), ("stop", "line", "longitude")),
    Subject("公共停车场", "public car parks", "transport", "交通运输局", ("停车场", "泊位"), ("park", "spaces", "price")),
    Subject("充电桩", "charging points", "transport", "发展和改革局", ("充电桩", "新能源"), ("site", "chargers", "power")),
    Subject("垃圾分类", "waste sorting", "urban-governance", "综合行政执法局", ("垃圾分类", "生活垃圾"),
            ("community", "tonnes", "rate")),
    Subject("水质监测", "water quality monitoring", "environment", "生态环境局", ("水质", "监测"),
            ("section", "ph", "cod")),
    Subject("噪声监测", "noise monitoring", "environment", "生态环境局", ("噪声", "监测"), ("site", "decibel")),
    Subject("养老机构", "elderly care homes", "livelihood", "民政局", ("养老", "床位"), ("home", "beds", "address")),
    Subject("托育机构", "childcare centres", "public-services", "卫生健康委员会", ("托育", "婴幼儿"),
            ("centre", "places", "address")),
    Subject("体育场馆", "sports venues", "public-services", "体育局", ("体育", "场馆"), ("venue", "type", "address")),
    Subject("公共图书馆", "public libraries", "public-services", "文化和广电旅游体育局", ("图书馆", "借阅"),
            ("library", "books", "visits")),
    Subject("文物保护单位", "protected heritage sites", "public-services", "文化和广电旅游体育局", ("文物", "保护"),
            ("site", "level", "era")),
    Subject("旅游景区", "tourist attractions", "public-services", "文化和广电旅游体育局", ("旅游", "景区"),
            ("attraction", "grade", "visitors")),
    Subject("企业登记", "company registrations", "market-regulation", "市场监督管理局", ("企业", "登记"),
            ("company", "credit_code", "registered")),
    Subject("食品抽检", "food sampling inspections", "market-regulation", "市场监督管理局", ("食品安全", "抽检"),
            ("product", "result", "lab")),
    Subject("特种设备", "special equipment", "market-regulation", "市场监督管理局", ("特种设备", "电梯"),
            ("device", "owner", "inspected")),
    Subject("安全生产检查", "work safety inspections", "urban-governance", "应急管理局", ("安全生产", "检查"),
            ("company", "hazards", "fixed")),
    Subject("应急避难场所", "emergency shelters", "urban-governance", "应急管理局", ("应急", "避难场所"),
            ("shelter", "capacity", "longitude")),
    Subject("人口统计", "population statistics", "livelihood", "统计局", ("人口", "统计"), ("area", "population")),
    Subject("住房保障", "housing support", "livelihood", "住房和城乡建设局", ("保障性住房", "公租房"),
            ("project", "units", "rent")),
    Subject("住房公积金", "housing provident fund", "livelihood", "住房公积金管理中心", ("公积金", "贷款"),
            ("month", "deposits", "loans")),
    Subject("道路交通事故", "road traffic accidents", "transport", "公安局", ("交通事故", "道路"),
            ("road", "accidents", "injuries")),
    Subject("学校名录", "school directory", "education-enrolment", "教育局", ("学校", "中小学"),
            ("school", "level", "address")),
    Subject("政务服务事项", "government service items", "public-services", "政务服务管理办公室", ("办事指南", "政务服务"),
            ("item", "department", "time_limit")),
]
SUFFIXES = ["数据", "明细", "统计", "名单", "目录", "信息", "情况表", "清单", "汇总表", "公示"]
PHRASES = ["数据按季度更新", "字段含义见数据说明", "由各乡镇街道报送", "经审核后公开", "不含个人隐私信息",
           "以实际办理结果为准", "历史数据可追溯至2015年", "坐标系为CGCS2000", "金额单位为万元", "数据来源于业务系统",
           "每年第一季度发布上年数据", "涉及个人信息的字段已脱敏", "可通过接口按区县筛选", "供社会公众查询使用",
           "统计口径与统计年鉴一致", "部分字段为空表示未填报"]
LOAD_CACHE_KIB = 256 * 1024  # SQLite page cache while a generated catalogue is inserted
FREQUENCIES = ["daily", "weekly", "monthly", "quarterly", "annual", "irregular"]


@dataclass(frozen=True)
class Entry:
    """One generated catalogue entry and the facts it was made from."""

    identifier: str
    title: str
    title_en: str
    description: str
    keywords: list[str]
    theme: str
    publisher: int  # index into organizations()
    frequency: str
    disclosure: str
    columns: tuple[str, ...]
    modified: dt.datetime
    place: str
    subject: str
    year: int


def organizations() -> list[tuple[str, str]]:
    """(slug, name) of every publisher: one per place and department."""
    departments = sorted({s.department for s in SUBJECTS})
    return [(f"gen-{p}-{d}", f"{place}{department}") for p, (place, _) in enumerate(PLACES)
            for d, department in enumerate(departments)]


def generate(n: int, seed: int = 42) -> Iterator[Entry]:
    """``n`` entries, the same for the same seed."""
    rnd = random.Random(seed)
    departments = {d: i for i, d in enumerate(sorted({s.department for s in SUBJECTS}))}
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for i in range(n):
        p = rnd.randrange(len(PLACES))
        place, place_en = PLACES[p]
        subject = rnd.choice(SUBJECTS)
        year = rnd.randint(2015, 2025)
        suffix = rnd.choice(SUFFIXES)
        title = (f"{place}{year}年{subject.zh}{suffix}" if rnd.random() < 0.5
                 else f"{place}{subject.zh}{suffix}（{year}年）")
        phrases = "，".join(rnd.sample(PHRASES, 2))
        description = (f"{place}{subject.department}发布的{year}年度{subject.zh}{suffix}，"
                       f"共{rnd.randint(10, 99999)}条记录，{phrases}。")
        yield Entry(
            identifier=f"gen-{i:07d}", title=title, title_en=f"{place_en} {subject.en} {year}",
            description=description, keywords=list(subject.keywords), theme=subject.theme,
            publisher=p * len(departments) + departments[subject.department], frequency=rnd.choice(FREQUENCIES),
            disclosure=rnd.choices(["unconditional", "conditional", "closed"], [8, 1, 1])[0],
            columns=subject.columns, modified=base - dt.timedelta(minutes=rnd.randint(0, 5 * 10**6)),
            place=place, subject=subject.zh, year=year)


def insert_generated(runtime, entries, *, batch: int = 20_000) -> int:
    """Write generated entries into the database in bulk (organizations and schemas first); returns the count.

    Bypasses catalog.yaml and the ORM: a generated catalogue is large, and syncing a file of a
    million entries is not what is being measured. Rows go in as plain tuples through the DBAPI's
    ``executemany``, ``batch`` at a time, in one transaction; building each row as an ORM insert
    cost about 2 ms a dataset, half an hour for a million.
    """
    from sqlalchemy import insert, select

    from opendata.store.db import transaction
    from opendata.store.models import Dataset, Organization, TableSchemaRecord

    with transaction(runtime.sessions) as session:
        existing = set(session.scalars(select(Organization.slug)))
        session.execute(insert(Organization), [
            {"slug": slug, "name": name, "level": "county", "division_code": "330100"}
            for slug, name in organizations() if slug not in existing])
        org_ids = dict(session.execute(select(Organization.slug, Organization.id)).all())
        schema_ids = {}
        for s in SUBJECTS:
            name = f"generated-{s.en.replace(' ', '-')}.json"
            record = session.scalar(select(TableSchemaRecord).where(TableSchemaRecord.name == name))
            if record is None:
                record = TableSchemaRecord(name=name, sha256=hashlib.sha256(name.encode()).hexdigest(), descriptor={
                    "fields": [{"name": c, "type": "string"} for c in s.columns]})
                session.add(record)
                session.flush()
            schema_ids[s.columns] = record.id
    slugs = [slug for slug, _ in organizations()]
    columns = ("identifier", "code", "title", "title_en", "description", "organization_id", "theme", "keywords",
               "license", "disclosure", "legal_basis", "frequency", "contact", "schema_id", "state", "origin",
               "mask_salt", "created_at", "modified_at")
    table = Dataset.__table__
    sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) "
           f"VALUES ({', '.join(['?'] * len(columns))})")
    salt = random.Random(7)  # per-dataset salts, as the model's default makes them, but seeded and cheap
    count, rows = 0, []
    with transaction(runtime.sessions) as session:
        dialect = session.get_bind().dialect
        if dialect.name == "sqlite":  # plain tuples through the DBAPI, as the ORM would store them
            # the columns' own bind processors (JSON, UTC timestamps): rows stored exactly as the ORM stores them
            process = [table.c[c].type._cached_bind_processor(dialect) or (lambda v: v) for c in columns]
            cursor = session.connection().connection.driver_connection.cursor()
            # a page cache that holds the dataset table's indexes: with SQLite's default 2 MB, each insert
            # into the organization and schema indexes of a large table reads and rewrites scattered pages
            cache = cursor.execute("PRAGMA cache_size").fetchone()[0]
            cursor.execute(f"PRAGMA cache_size = {-LOAD_CACHE_KIB}")

            def write(batch: list[tuple]) -> None:
                cursor.executemany(sql, [tuple(f(v) for f, v in zip(process, row, strict=True)) for row in batch])
        else:  # PostgreSQL: SQLAlchemy Core's executemany (the tests run on both)
            def write(batch: list[tuple]) -> None:
                session.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in batch])
        for e in entries:
            rows.append((
                e.identifier, f"330100-G-{e.identifier[4:]}", e.title, e.title_en, e.description,
                org_ids[slugs[e.publisher]], e.theme, e.keywords, "CC-BY-4.0", e.disclosure,
                None if e.disclosure == "unconditional" else "《政府信息公开条例》第十五条", e.frequency, {},
                schema_ids[e.columns], "active", "api", f"{salt.getrandbits(256):064x}", e.modified, e.modified))
            count += 1
            if len(rows) >= batch:
                write(rows)
                rows.clear()
        if rows:
            write(rows)
        if dialect.name == "sqlite":
            cursor.execute(f"PRAGMA cache_size = {cache}")
    return count
