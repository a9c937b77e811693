"""CSV/TSV: delimiters, line endings, row numbers, ragged rows and hostile shapes."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from tests.core.readers.helpers import read_table, small_limits


def write(tmp_path, text: str, name: str = "data.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("delimiter", [",", "\t", ";", "|", "\uff0c"])
def test_delimiter_is_detected(tmp_path, delimiter):
    d = delimiter
    path = write(tmp_path, f"名称{d}金额{d}备注\n甲{d}1{d}x\n乙{d}2{d}\n")
    table = read_table(path)
    assert table.labels == ["名称", "金额", "备注"]
    assert table.cells == [["甲", "1", "x"], ["乙", "2", ""]]
    assert table.format == ("tsv" if d == "\t" else "csv")


def test_full_width_comma_inside_quotes_stays_in_the_cell(tmp_path):
    text = '名称，说明\n甲，"一，二"\n"乙，丙"，"多行\n文本"\n丁，戊\n'
    for encoding in ("utf-8", "gb18030"):
        table = read_table(write(tmp_path, text, encoding=encoding), limits=small_limits())
        assert table.labels == ["名称", "说明"]
        assert table.cells == [["甲", "一，二"], ["乙，丙", "多行\n文本"], ["丁", "戊"]]
        assert table.numbers == [2, 3, 4]


def test_full_width_comma_file_with_ragged_rows(tmp_path):
    table = read_table(write(tmp_path, "a，b\n1\n2，3，4\n"))
    assert table.cells == [["1", None], ["2", "3", "4"]]
    assert table.counts == [1, 3]


def test_mixed_crlf_lf_cr_line_endings(tmp_path):
    table = read_table(write(tmp_path, "a,b\r\n1,2\r3,4\n5,6\r\n\r\n7,8"))
    assert table.numbers == [2, 3, 4, 5, 6]
    assert table.cells == [["1", "2"], ["3", "4"], ["5", "6"], [None, None], ["7", "8"]]


def test_blank_rows_are_kept_as_rows(tmp_path):
    table = read_table(write(tmp_path, "a,b,c\n1,2,3\n\n,,\n4,5,6\n\n"))
    assert table.numbers == [2, 3, 4, 5, 6]
    # an empty line has no cells (as frictionless reads it); ",," has three empty cells
    assert table.cells[1] == [None, None, None]
    assert table.cells[2] == ["", "", ""]
    assert table.counts == [3, 0, 3, 3, 0]


def test_empty_lines_inside_quoted_cells_are_text(tmp_path):
    text = 'a,b\n1,"x\n\ny"\n\n2,"\r\n\r\n"\r\n\r\n3,4\n'
    table = read_table(write(tmp_path, text), limits=small_limits())
    assert table.cells == [
        ["1", "x\n\ny"],
        [None, None],
        ["2", "\r\n\r\n"],
        [None, None],
        ["3", "4"],
    ]
    assert table.numbers == [2, 3, 4, 5, 6]


def test_empty_lines_across_chunk_boundaries(tmp_path, monkeypatch):
    from opendata.core.readers import textstream

    rows = [f"{i},x" if i % 3 else "" for i in range(1, 3000)]
    path = write(tmp_path, "a,b\r\n" + "\r\n".join(rows) + "\r\n")
    # chunk edges then fall between \r and \n, and between consecutive line breaks
    monkeypatch.setattr(textstream, "CHUNK_BYTES", 7)
    table = read_table(path)
    assert table.cells == [[None, None] if not r else r.split(",") for r in rows]


def test_quoted_newlines_count_as_one_row(tmp_path):
    table = read_table(write(tmp_path, 'a,b\n1,"x\ny\r\nz"\n2,3\n'))
    assert table.numbers == [2, 3]
    assert table.cells[0] == ["1", "x\ny\r\nz"]


def test_rows_with_too_few_and_too_many_cells(tmp_path):
    table = read_table(write(tmp_path, "a,b,c\n1,2\n1,2,3,4,5\n7,8,9\n\n10\n"))
    assert table.numbers == [2, 3, 4, 5, 6]
    assert table.cells == [
        ["1", "2", None],
        ["1", "2", "3", "4", "5"],
        ["7", "8", "9"],
        [None, None, None],
        ["10", None, None],
    ]
    assert table.counts == [2, 5, 3, 0, 1]


def test_extra_cells_carry_row_and_field_numbers(tmp_path):
    from opendata.core.readers import open_table

    with open_table(write(tmp_path, "a,b\n1,2,x,y\n")) as reader:
        [batch] = list(reader.iter_batches())
    assert batch.extra_cells == [(2, 3, "x"), (2, 4, "y")]


def test_ragged_rows_across_many_batches_keep_their_numbers(tmp_path):
    rnd = random.Random(42)
    lines, expected = ["a,b,c"], []
    for number in range(2, 3002):
        kind = rnd.random()
        if kind < 0.05:
            cells = ["s"]
        elif kind < 0.1:
            cells = ["l", "l", "l", str(number)]
        elif kind < 0.13:
            cells = ["", "", ""]
        elif kind < 0.2:
            cells = [str(number), "multi\nline", "q"]
        else:
            cells = [str(number), "x", "y"]
        expected.append((number, cells))
        quoted = [f'"{c}"' if "\n" in c else c for c in cells]
        lines.append(",".join(quoted) if cells != ["", "", ""] else "")
    path = write(tmp_path, "\n".join(lines) + "\n")
    for encoding in ("utf-8", "gb18030"):
        path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
        table = read_table(path, limits=small_limits(csv_block_bytes=2048))
        assert table.batches > 10
        assert table.numbers == [n for n, _ in expected]
        padded = [
            c + [None] * (3 - len(c)) if c != ["", "", ""] else [None] * 3 for _, c in expected
        ]
        assert table.cells == padded


def test_unterminated_quote_reads_to_the_end_like_python_csv(tmp_path):
    table = read_table(write(tmp_path, 'a,b\n1,2\n3,"abc\n4,5\n'))
    assert table.numbers == [2, 3]
    assert table.cells[1] == ["3", "abc\n4,5\n"]


def test_a_200000_character_cell(tmp_path):
    big = "长" * 200_000
    table = read_table(write(tmp_path, f"a,b\n1,{big}\n2,x\n"), limits=small_limits())
    assert table.cells == [["1", big], ["2", "x"]]
    assert table.numbers == [2, 3]


def test_a_200000_character_cell_in_a_ragged_row(tmp_path):
    big = "x" * 200_000
    table = read_table(write(tmp_path, f'a,b,c\n1,"{big}"\n2,x,y\n'))
    assert table.cells == [["1", big, None], ["2", "x", "y"]]


def test_as_many_columns_as_the_limit(tmp_path):
    labels = [f"c{i}" for i in range(2_000)]
    row = [str(i) for i in range(2_000)]
    table = read_table(write(tmp_path, ",".join(labels) + "\n" + ",".join(row) + "\n"))
    assert table.labels == labels
    assert table.cells == [row]


def test_header_only(tmp_path):
    table = read_table(write(tmp_path, "a,b,c\n"))
    assert table.labels == ["a", "b", "c"]
    assert table.rows == []
    assert table.errors == []


def test_header_only_without_line_break(tmp_path):
    assert read_table(write(tmp_path, "a,b")).labels == ["a", "b"]


def test_duplicate_and_blank_labels_are_passed_through(tmp_path):
    table = read_table(write(tmp_path, "a,,a, \n1,2,3,4\n"))
    assert table.labels == ["a", "", "a", " "]
    assert table.cells == [["1", "2", "3", "4"]]


def test_leading_blank_line_gives_no_labels_like_frictionless(tmp_path):
    table = read_table(write(tmp_path, "\na,b\n1,2\n"))
    assert table.labels == []
    assert table.rows == [(2, ["a", "b"]), (3, ["1", "2"])]


def test_header_with_a_quoted_line_break(tmp_path):
    table = read_table(write(tmp_path, '"a\nb",c\n1,2\n'))
    assert table.labels == ["a\nb", "c"]
    assert table.rows == [(2, ["1", "2"])]


def test_single_column_file(tmp_path):
    table = read_table(write(tmp_path, "id\n1\n\n2\n"))
    assert table.cells == [["1"], [None], ["2"]]
    assert table.counts == [1, 0, 1]
    assert table.numbers == [2, 3, 4]


def test_bytes_read_reports_progress(tmp_path):
    from opendata.core.readers import open_table

    path = write(tmp_path, "a\n" + "1\n" * 1000)
    with open_table(path) as reader:
        list(reader.iter_batches())
        assert reader.bytes_read == path.stat().st_size


def test_header_longer_than_the_sniffed_head(tmp_path):
    label = "x" * 1_500_000
    table = read_table(write(tmp_path, f'"{label}",b\n1,2\n'))
    assert table.labels == [label, "b"]
    assert table.rows == [(2, ["1", "2"])]


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
def test_trailing_empty_lines_and_empty_cells_at_the_end(tmp_path, eol):
    text = eol.join(["a,b", "1,2", ",", "", '"",""', "", ""]) + eol
    table = read_table(write(tmp_path, text))
    assert table.numbers == [2, 3, 4, 5, 6, 7]
    assert table.cells == [["1", "2"], ["", ""], [None, None], ["", ""], [None, None], [None, None]]
    assert table.counts == [2, 2, 0, 2, 0, 0]


def test_trailing_empty_line_without_final_line_break(tmp_path):
    table = read_table(write(tmp_path, "a,b\n1,2\n\n,"))
    assert table.cells == [["1", "2"], [None, None], ["", ""]]


def test_abandoned_reader_exits_cleanly_and_leaves_no_temporary_file(tmp_path):
    import subprocess
    import sys
    import tempfile

    path = tmp_path / "gbk.csv"
    path.write_bytes(("名称,数量\n" + "北京,1\n" * 200_000).encode("gbk"))
    before = set(Path(tempfile.gettempdir()).glob("opendata-*.csv"))
    code = (
        "from opendata.core.readers import ReadLimits, open_table\n"
        f"reader = open_table({str(path)!r}, limits=ReadLimits(csv_block_bytes=65536))\n"
        "batches = reader.iter_batches()\n"
        "first = next(batches)\n"  # then exit without closing
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-500:]
    assert set(Path(tempfile.gettempdir()).glob("opendata-*.csv")) == before


def test_closing_a_pass_stopped_early_waits_until_arrow_lets_go_of_the_python_handler(tmp_path):
    """Arrow threads still parsing ahead for a closed reader hold its invalid-row handler; released
    by such a thread during interpreter teardown, it aborted the process (SIGABRT) after its work."""
    import gc
    import types

    from opendata.core.readers import ReadLimits, open_table

    rows = "".join(f"{i},{i}\n" if i % 7 else f"{i},{i},extra\n" for i in range(20_000))
    path = write(tmp_path, "a,b\n" + rows)
    for k in range(40):
        reader = open_table(path, limits=ReadLimits(csv_block_bytes=4096))
        next(reader.iter_batches())
        reader.close()
        held = [o for o in gc.get_objects()
                if isinstance(o, types.FunctionType) and o.__qualname__.endswith("on_invalid_row")]
        assert held == [], f"pass {k}: an Arrow thread still holds the handler after close()"
