"""The fictional sample city 青川市 and helpers shared by the sample-data scripts.

青川市 is fictional; its organizations sit on the real GB/T 2260 codes of 浙江省湖州市 (330500)
and its districts and counties, so every division code validates against the real code list.
All people, companies, numbers and amounts are invented (示例数据). ID numbers, credit codes and
card numbers are syntactically valid (check characters right, real birth dates) so that the
validators and the PII scan have something real to find.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import zipfile
from datetime import date, timedelta
from pathlib import Path

from opendata.core.codes import id_check_char, luhn_check_digit, uscc_check_char

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT / "datasets"
SCHEMAS = ROOT / "schemas"

CITY_CODE = "330500"
CITY_NAME = "青川市"
# real code -> fictional name (real names: 吴兴区, 南浔区, 德清县, 长兴县, 安吉县)
AREAS = {
    "330502": "临江区",
    "330503": "望湖区",
    "330521": "清溪县",
    "330522": "长宁县",
    "330523": "云溪县",
}
# GB/T 10114 township codes (街道 001–099, 镇 100–199, 乡 200–399) with fictional names
TOWNSHIPS = {
    "330502001": "江滨街道", "330502002": "新华街道", "330502003": "月河街道",
    "330502004": "龙山街道", "330502005": "城南街道", "330502006": "北塘街道",
    "330502101": "白沙镇", "330502102": "桃源镇",
    "330503001": "望湖街道", "330503101": "荷花镇", "330503102": "双桥镇",
    "330521001": "清溪街道", "330521101": "新港镇", "330521102": "南岭镇",
    "330522001": "长宁街道", "330522101": "西山镇", "330522102": "泗安口镇",
    "330523001": "云溪街道", "330523002": "凤鸣街道", "330523101": "白鹭镇",
    "330523102": "竹源镇", "330523103": "杏林镇", "330523104": "溪口镇",
    "330523201": "茶山乡", "330523202": "松岭乡",
}
CENTER = (120.09, 30.87)  # lon, lat of the city centre (WGS-84)

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁"
            "蔡蒋余于杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方邹熊白孟秦邱钱施费")
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文玉兰志红海燕鹏飞宇浩"
         "婷雪梅琳晨阳佳欣怡子涵思雨俊杰建平永福春生根宝金水月娥凤英秀珍德明国庆卫东")
BRANDS = ["恒信", "宏达", "绿源", "青禾", "江南", "华泰", "博远", "鑫盛", "瑞丰", "卓越", "天诚", "佳和", "锦程", "东方", "汇通", "安澜", "新澜", "明远", "中诚", "远航", "金桥", "润泽", "嘉禾", "恒源", "凯达", "荣昌", "宇辰", "智达", "弘毅", "联创", "蓝天", "碧水", "云帆", "致远"]

_ORG_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_USCC_BODY = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def org_code_check(first8: str) -> str:
    """GB 11714 check character of a 9-character organization code."""
    total = sum(_ORG_CHARS.index(c) * w for c, w in zip(first8, _ORG_WEIGHTS, strict=True))
    value = 11 - total % 11
    return "X" if value == 10 else "0" if value == 11 else str(value)


def credit_code(prefix: str, division: str, body8: str) -> str:
    """An 18-character 统一社会信用代码: 2-char registration type, division, org code, check."""
    org = body8 + org_code_check(body8)
    first17 = prefix + division + org
    check = uscc_check_char(first17)
    assert check is not None, first17
    return first17 + check


def random_credit_code(rng: random.Random, prefix: str, division: str) -> str:
    """A fictional credit code: organs get old-style digit org codes, companies 'MA' codes."""
    if prefix in ("91", "92", "52"):
        lead = {"91": "MA", "92": "MA", "52": "MJ"}[prefix]
        body = lead + "".join(rng.choice(_USCC_BODY[:10] + "ABCDEFGHJKLMNPQRTUWXY") for _ in range(6))
    else:
        body = ("00" if prefix == "11" else "47") + "".join(rng.choice("0123456789") for _ in range(6))
    return credit_code(prefix, division, body)


def person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.75 else "")
    return rng.choice(SURNAMES) + given


def id_number(rng: random.Random, region: str | None = None, *, born_from: int = 1950,
              born_to: int = 2002) -> str:
    """A fictional 18-digit ID number with a real birth date and the right check character."""
    region = region or rng.choice(sorted(AREAS))
    born = date(born_from, 1, 1) + timedelta(days=rng.randrange((born_to - born_from) * 365))
    first17 = f"{region}{born:%Y%m%d}{rng.randrange(1, 1000):03d}"
    return first17 + id_check_char(first17)


def mobile(rng: random.Random) -> str:
    head = rng.choice(("133", "135", "136", "137", "138", "139", "150", "152", "157", "158",
                       "159", "177", "180", "182", "187", "188", "189", "199"))
    return head + f"{rng.randrange(10**8):08d}"


def landline(rng: random.Random) -> str:
    return f"0572-{rng.randrange(2, 7)}{rng.randrange(10**6):06d}"


def luhn_complete(digits: str) -> str:
    """Append the Luhn check digit."""
    return digits + luhn_check_digit(digits)


def bank_card(rng: random.Random) -> str:
    return luhn_complete("622848" + f"{rng.randrange(10**12):012d}")


def company(rng: random.Random, trade: str) -> str:
    return f"{CITY_NAME}{rng.choice(BRANDS)}{trade}有限公司"


def jitter(rng: random.Random, center: tuple[float, float], spread: float) -> tuple[float, float]:
    return (round(center[0] + rng.uniform(-spread, spread), 6),
            round(center[1] + rng.uniform(-spread * 0.8, spread * 0.8), 6))


def fullwidth(text: str) -> str:
    """Digits and '.' to their full-width forms, as some village spreadsheets have them."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() or c == "." else c for c in text)


def schema_header(schema_file: str) -> list[str]:
    with (SCHEMAS / schema_file).open(encoding="utf-8") as fh:
        return [f["name"] for f in json.load(fh)["fields"]]


# -- writers: deterministic bytes, so rerunning the script changes nothing -----------------

def write_csv(path: Path, header: list[str], rows: list[list], encoding: str) -> None:
    """CSV with CRLF line ends, as Excel and WPS write it; encoding utf-8, utf-8-sig or gbk."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    path.write_bytes(buf.getvalue().encode(encoding))  # strict: fails on a non-GBK character


def write_json(path: Path, header: list[str], rows: list[list]) -> None:
    """A JSON array of objects, one object per line."""
    objs = [json.dumps(dict(zip(header, row, strict=True)), ensure_ascii=False) for row in rows]
    path.write_text("[\n" + ",\n".join(objs) + "\n]\n", encoding="utf-8")


_FIXED_TIME = (2025, 1, 1, 0, 0, 0)
_CORE_TIMES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def write_xlsx(path: Path, sheets: list[tuple[str, list[str] | None, list[list]]],
               *, widths: dict[str, int] | None = None) -> None:
    """An XLSX workbook (openpyxl) with fixed timestamps; header None means rows hold it all."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for name, header, rows in sheets:
        ws = wb.create_sheet(name)
        if header is not None:
            ws.append(header)
            for cell in ws[1]:
                cell.font = Font(bold=True)
        for row in rows:
            ws.append(row)
        for col, width in (widths or {}).items():
            ws.column_dimensions[col].width = width
    raw = io.BytesIO()
    wb.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = _CORE_TIMES.sub(rb"\g<1>2025-01-01T00:00:00Z\g<3>", data)
            zout.writestr(zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME), data,
                          compress_type=zipfile.ZIP_DEFLATED)
    path.write_bytes(out.getvalue())


def seeded(name: str) -> random.Random:
    """The random generator of one dataset: seed 42 plus the dataset's name, so datasets differ."""
    return random.Random(f"42:{name}")
