"""Row numbers and cells agree with frictionless-py on tricky CSVs (the validator relies on it)."""

from __future__ import annotations

import random
import warnings

import frictionless
import pytest
from frictionless.formats import CsvControl

from tests.core.readers.helpers import read_table, small_limits

CASES = {
    "blank-rows": "a,b,c\n1,2,3\n\n4,5,6\n,,\n\n7,8,9\n",
    "quoted-newlines": 'a,b\n1,"x\ny"\n2,"p\r\nq\rr"\n3,z\n',
    "ragged": "a,b,c\n1,2\n1,2,3,4\n\n5\n6,7,8\n",
    "mixed-endings": "a,b\r\n1,2\r3,4\n5,6\r\n\r\n7,8",
    "trailing-blank-lines": "a,b\n1,2\n\n\n",
    "quote-quirks": 'a,b\n"x"y,2\nab"c,d\n"""q""",e\n',
    "unterminated-quote": 'a,b\n1,2\n3,"abc\n4,5\n',
    "semicolon": "a;b;c\n1;2;3\n;;\n4;5\n",
    "tab": "a\tb\n1\t2\n\n3\t4\t5\n",
    "gbk": "名称,数量\n北京,1\n\n上海,2,3\n",
    "duplicate-labels": "a,,a\n1,2,3\n4,5\n",
    "single-column": 'id\n1\n\n2\n""\n\r\n3',
    "quoted-blank-lines": 'a,b\n"x\n\n",1\n\n"\r\n\r\n",2\n',
}


def frictionless_rows(path, delimiter: str) -> tuple[list[str], list[tuple[int, list]]]:
    # The delimiter is given: csv.Sniffer (which frictionless uses) gives up on small ragged
    # samples and falls back to ",", where our detection finds ";" or a tab.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        detector = frictionless.Detector(schema_sync=False, field_type="string")
        control = CsvControl(delimiter=delimiter)
        with frictionless.Resource(str(path), detector=detector, control=control) as resource:
            labels = list(resource.labels)
            rows = []
            for row in resource.row_stream:
                # Compare the cells frictionless keeps (blank rows have none to compare).
                rows.append((row.row_number, list(row.cells)))
    return labels, rows


@pytest.mark.parametrize("name", sorted(CASES))
def test_row_numbers_and_cells_match_frictionless(tmp_path, name):
    path = tmp_path / f"{name}.csv"
    path.write_bytes(CASES[name].encode("gb18030" if name == "gbk" else "utf-8"))
    table = read_table(path, limits=small_limits())
    delimiter = {"semicolon": ";", "tab": "\t"}.get(name, ",")
    labels, expected = frictionless_rows(path, delimiter)
    assert table.labels == labels
    assert table.numbers == [number for number, _ in expected]
    for (number, ours), (_, theirs) in zip(table.rows, expected, strict=True):
        # our rows are as wide as the header (null = no such cell); frictionless' are as found
        assert [c for c in ours if c is not None] == theirs, number


def random_csv(rnd) -> str:
    pieces = ["id,name,note"]
    for i in range(rnd.randint(20, 200)):
        kind = rnd.random()
        if kind < 0.08:
            row = ""
        elif kind < 0.15:
            row = ",".join(["x"] * rnd.choice([1, 2, 4, 5]))
        elif kind < 0.25:
            row = f'{i},"line\n{rnd.choice(["a", "b"])}\r\nend","say ""hi"""'
        else:
            row = f"{i},名{rnd.randint(0, 99)},{rnd.choice(['', 'n', '1,5'][:2])}"
        pieces.append(row)
        pieces.append(rnd.choice(["\n", "\r\n", "\r"]) if row else "\n")
    return pieces[0] + "\n" + "".join(pieces[1:])


@pytest.mark.parametrize("seed", range(8))
def test_random_csvs_match_frictionless(tmp_path, seed):
    rnd = random.Random(42 + seed)
    path = tmp_path / "random.csv"
    path.write_bytes(random_csv(rnd).encode("utf-8"))
    labels, expected = frictionless_rows(path, ",")
    table = read_table(path, limits=small_limits(csv_block_bytes=256))
    assert table.labels == labels
    assert table.numbers == [number for number, _ in expected]
    for (number, ours), (_, theirs) in zip(table.rows, expected, strict=True):
        assert [c for c in ours if c is not None] == theirs, number


def python_csv_rows(text: str) -> list[tuple[int, list[str]]]:
    """What frictionless builds on: Python's csv module over the decoded text."""
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text, newline="")))
    return [(number, row) for number, row in enumerate(rows, 1) if number > 1]


@pytest.mark.parametrize("seed", range(4))
def test_quote_heavy_random_csvs_match_python_csv(tmp_path, seed):
    # Stray quotes inside unquoted cells, '""' escapes, empty lines inside and outside quotes:
    # the quote tracking that marks empty lines must follow csv's rules, never parity alone.
    rnd = random.Random(42 + seed)
    alphabet = ["a", "1", ",", ",", '"', "\n", "\n", "\r", "\r\n", "北", " ", '""']
    for _ in range(60):
        text = "h1,h2,h3\n" + "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 300)))
        path = tmp_path / "q.csv"
        path.write_bytes(text.encode("utf-8"))
        expected = python_csv_rows(text)
        table = read_table(path)
        got = [(n, [c for c in cells if c is not None]) for n, cells in table.rows]
        if got[:-1] == expected[:-1] and got and expected:
            # A quote still open at the end of the file: pyarrow drops the final line breaks of
            # that cell, the csv module keeps them (a known difference).
            last_got, last_expected = got[-1], expected[-1]
            strip = [c.rstrip("\r\n") for c in last_expected[1]]
            if [c.rstrip("\r\n") for c in last_got[1]] == strip:
                continue
        assert got == expected, text
