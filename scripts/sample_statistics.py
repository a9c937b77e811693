"""Monthly statistics samples: employment (UTF-8 CSV) and 12345 hotline (GBK CSV); 示例数据."""

from __future__ import annotations

from samplecity import AREAS, CITY_CODE, CITY_NAME, DATASETS, schema_header, seeded, write_csv

ALL_AREAS = {CITY_CODE: f"{CITY_NAME}（全市）"} | AREAS


def make_employment() -> None:
    rng = seeded("employment")
    rows = []
    size = {CITY_CODE: 1.0} | {c: rng.uniform(0.12, 0.25) for c in AREAS}
    for year in (2023, 2024):
        cum = {c: [0, 0, 0] for c in ALL_AREAS}
        for month in range(1, 13):
            for code, name in ALL_AREAS.items():
                s = size[code]
                cum[code][0] += round(s * rng.uniform(6500, 9500))
                cum[code][1] += round(s * rng.uniform(1500, 2600))
                cum[code][2] += round(s * rng.uniform(300, 700))
                rate = round(rng.uniform(4.2, 5.3), 1) if code == CITY_CODE else None
                rows.append([f"{year}-{month:02d}", code, name, *cum[code], round(s * rng.uniform(14000, 17000)), rate])
    write_csv(DATASETS / "qc-employment-monthly.csv", schema_header("qc-employment.json"), rows, "utf-8")


HOTLINE_CATEGORIES = {"城乡建设": 0.17, "市场监管": 0.12, "交通运输": 0.09, "生态环境": 0.06, "教育": 0.07,
                      "卫生健康": 0.06, "劳动和社会保障": 0.1, "公安": 0.08, "住房保障": 0.07, "农业农村": 0.04,
                      "其他": 0.14}


def make_hotline_monthly() -> None:
    rng = seeded("hotline_monthly")
    rows = []
    size = {c: rng.uniform(0.12, 0.3) for c in AREAS}
    for year in (2023, 2024):
        for month in range(1, 13):
            season = 1.25 if month in (7, 8) else 0.85 if month == 2 else 1.0
            for code, name in AREAS.items():
                for category, share in HOTLINE_CATEGORIES.items():
                    received = round(52000 * size[code] * share * season * rng.uniform(0.85, 1.15))
                    done = received - rng.randrange(0, max(1, received // 40))
                    rows.append([f"{year}-{month:02d}", code, name, category, received, done,
                                 round(rng.uniform(96.0, 99.9), 2), round(rng.uniform(90.0, 98.5), 2)])
    write_csv(DATASETS / "qc-hotline-monthly-2023-2024.csv", schema_header("qc-hotline-monthly.json"),
              rows, "gbk")


MAKERS = (make_employment, make_hotline_monthly)
