"""Regenerate sample.xls (run by hand; needs the xlwt package, which the tests do not).

.venv/bin/pip install xlwt && .venv/bin/python tests/data/readers/make_xls.py
"""

import datetime as dt
from pathlib import Path

import xlwt

book = xlwt.Workbook(encoding="utf-8")
sheet = book.add_sheet("数据")
sheet.write_merge(0, 0, 1, 2, "金额")  # merged header cells B1:C1
sheet.write(0, 0, "地区")
sheet.write(0, 3, "日期")
date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
sheet.write(1, 0, "北京")
sheet.write(1, 1, 1.0)
sheet.write(1, 2, 2.5)
sheet.write(1, 3, dt.date(2023, 6, 18), date_style)
sheet.write(2, 0, "上海")
sheet.write(2, 1, 42)
sheet.write(2, 3, True)
book.add_sheet("second").write(0, 0, "z")
book.save(str(Path(__file__).with_name("sample.xls")))
