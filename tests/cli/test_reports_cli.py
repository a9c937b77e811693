"""`opendata reports …`: staff enter, import, check and publish a year's report and export its files."""

from __future__ import annotations

import hashlib
import io
import json

from docx import Document
from openpyxl import load_workbook

from opendata.core.reports import grid


def test_enter_publish_and_export_a_report(synced_cli, tmp_path):
    entry = tmp_path / "entry.json"
    entry.write_text(json.dumps({"sections": {"overview": "本年度工作总体情况。"},
                                 "table_two": {"licensing": {"decisions": 5}, "fees": {"amount": "0.25"}}},
                                ensure_ascii=False), encoding="utf-8")
    synced_cli("reports", "enter", "finance", "2025", str(entry))
    draft = synced_cli("reports", "show", "finance", "2025", "--draft").output
    assert "publishable" in draft and "一、本年新收政府信息公开申请数量" in draft
    published = synced_cli("reports", "publish", "finance", "2025").output
    assert "published version 1" in published
    sha = published.rsplit("sha256 ", 1)[1].strip()
    out = tmp_path / "r.json"
    synced_cli("reports", "export", "finance", "2025", "--format", "json", "-o", str(out))
    assert hashlib.sha256(out.read_bytes()).hexdigest() == sha
    assert json.loads(out.read_bytes())["table_two"]["fees"]["amount"] == 0.25
    xlsx, docx = tmp_path / "r.xlsx", tmp_path / "r.docx"
    synced_cli("reports", "export", "finance", "2025", "-o", str(xlsx))
    assert load_workbook(xlsx)[grid.TABLE_TWO_GRID.title]["B8"].value == 5
    synced_cli("reports", "export", "finance", "2025", "--format", "docx", "-o", str(docx))
    assert "本年度工作总体情况。" in "\n".join(p.text for p in Document(io.BytesIO(docx.read_bytes())).paragraphs)
    assert "version 2" in synced_cli("reports", "publish", "finance", "2025").output
    shown = json.loads(synced_cli("reports", "show", "finance", "2025", "--version", "1", "--json").output)
    assert shown["version"] == 1 and shown["sha256"] == sha
    board = synced_cli("reports", "board", "2025").output
    assert "finance" in board and "department" in board and "city" in board


def test_bad_figures_and_files_in_another_layout_exit_1_naming_the_cell(synced_cli, tmp_path):
    entry = tmp_path / "entry.json"
    entry.write_text(json.dumps({"table_two": {"penalties": {"decisions": -1}}}), encoding="utf-8")
    failed = synced_cli("reports", "enter", "finance", "2025", str(entry), code=1)
    assert "表二「行政处罚」行「本年处理决定数量」列" in failed.output and "negative" in failed.output
    form = tmp_path / "form.xlsx"
    synced_cli("reports", "form", "-o", str(form))
    book = load_workbook(form)
    book[grid.TABLE_TWO_GRID.title]["A4"] = "规章（含修订）"
    book.save(form)
    bad = synced_cli("reports", "import", "finance", "2025", str(form), code=1)
    assert "cell A4" in bad.output and "「规章」" in bad.output
    assert "has not been published" in synced_cli("reports", "show", "finance", "2025", code=1).output
