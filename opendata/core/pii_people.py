"""Personal names and home addresses in Chinese tables: column labels plus value heuristics.

Unlike an ID or mobile number, one cell cannot prove it holds a name (王平 is a name, 公办 is
not, although 公 is a surname), so values are judged per column:

- **name**: at least 80 % of the column's non-empty cells look like a personal name (a common
  surname, one of about 150 single or 30 compound ones, then one or two more Han characters, with
  no place or organization suffix such as 区, 镇, 局 or 店, and no 某 as in the masked 张某), and
  at least 5 distinct such values, so a category column whose few values happen to begin with a
  surname is not taken for names;
- **address**: at least half the non-empty cells hold an address down to a home: a building,
  unit or room number (3幢2单元501室) or a village group (青山村3组).

Headers are checked by words: 姓名, 户主, 联系人, 申请人, … for names; 住址, 地址, 住所, 居住地,
户籍地 for addresses, except an organization's address (单位地址, 学校地址, 医院地址, …).

Both are heuristics: a column they miss is still found by its header, and a column they wrongly
flag is confirmed lawful by a reviewer (docs/review.md) or declared ``x-pii: false``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NAME_SHARE = 0.8
NAME_MIN_DISTINCT = 5
ADDRESS_SHARE = 0.5
SAMPLES = 5
PROBE = 1024  # cells of each batch examined before deciding whether to examine all of it
NAME_PROBE_SHARE = 0.5

# The most common single surnames (they cover most of the population) and the compound ones.
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩邓冯曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任"
    "卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付傅方邹熊白孟秦邱侯江尹薛闫阎段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严"
    "莫孔向常汤康易乔赖文施洪辛柳章牛樊葛邢安齐庞颜倪聂温俞兰蓝殷单包司柴屈喻祝纪舒耿焦鲁甘翟关申霍欧"
    "储岳时穆邬")
COMPOUND_SURNAMES = frozenset((
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "司徒", "令狐", "夏侯", "长孙",
    "宇文", "轩辕", "端木", "西门", "南宫", "呼延", "独孤", "申屠", "澹台", "公冶", "闻人", "赫连", "万俟",
    "淳于", "太史", "百里", "钟离"))
_ALL_HAN = r"^\p{Han}+$"
# Last characters of places, organizations and things, which a given name rarely ends with.
_NOT_A_NAME = "[区县市省州镇乡村局委办院所站馆店厂场司校部处科队会路街巷号楼室组园湖河桥港厅署社团库]$|某"
_ADDRESS = (r"[0-9０-９]+\s*(幢|栋|单元|室|号楼|号院)"
            r"|村.{0,10}?[0-9０-９一二三四五六七八九十]+\s*组")

NAME_LABELS = ("姓名", "户主", "联系人", "申请人", "监护人", "收款人", "领款人", "患者", "家长")
ADDRESS_LABELS = ("住址", "地址", "住所", "居住地", "户籍地")
_ORG_ADDRESS = re.compile(r"(单位|机构|办公|企业|公司|经营|注册|学校|医院|门店|场所|网点|站点|办事处|营业)"
                          r"(地址|住所)")
NAME_ENGLISH = (r"\b(full ?name|person ?name|first ?name|last ?name|surname|given ?name|family ?name"
                r"|contact ?person|applicant|patient|guardian|payee)\b")


def label_kind(label: str) -> str | None:
    """``name`` or ``address`` when a header names a person or a home address, else None."""
    if any(w in label for w in NAME_LABELS):
        return "name"
    if any(w in label for w in ADDRESS_LABELS) and not _ORG_ADDRESS.search(label):
        return "address"
    return None


def mask_name(value: str) -> str:
    """The surname only: ``张*``, ``欧阳**``."""
    keep = 2 if value[:2] in COMPOUND_SURNAMES else 1
    return value[:keep] + "*" * (len(value) - keep)


def mask_address(value: str) -> str:
    """The first six characters (city and district, not the home): ``青川市临江区****``."""
    return value[:6] + "****"


class _Cells:
    """One stretch of a text column, with its name and home masks computed once, cheap tests first."""

    def __init__(self, col: pa.Array, rows: pa.Array):
        self.col, self.rows = col, rows
        self.lengths = pc.fill_null(pc.utf8_length(col), 0)
        self.present = pc.sum(pc.greater(self.lengths, 0)).as_py() or 0
        self._names: pa.Array | None = None
        self._homes: pa.Array | None = None

    def names(self) -> pa.BooleanArray:
        """Cells that look like a personal name."""
        if self._names is None:
            col, lengths = self.col, self.lengths
            single = pc.and_(pc.is_in(pc.utf8_slice_codeunits(col, 0, 1), value_set=_SINGLE),
                             pc.and_(pc.greater_equal(lengths, 2), pc.less_equal(lengths, 3)))
            compound = pc.and_(pc.is_in(pc.utf8_slice_codeunits(col, 0, 2), value_set=_COMPOUND),
                               pc.and_(pc.greater_equal(lengths, 3), pc.less_equal(lengths, 4)))
            candidate = pc.fill_null(pc.or_(single, compound), False)
            if candidate.true_count:
                han = pc.fill_null(pc.match_substring_regex(col, _ALL_HAN), False)
                other = pc.fill_null(pc.match_substring_regex(col, _NOT_A_NAME), False)
                candidate = pc.and_(candidate, pc.and_(han, pc.invert(other)))
            self._names = candidate
        return self._names

    def homes(self) -> pa.BooleanArray:
        """Cells that hold an address down to a home."""
        if self._homes is None:
            if _has_any(self.col, _ADDRESS_MARKS):  # one scan of the bytes settles most columns
                self._homes = pc.fill_null(pc.match_substring_regex(self.col, _ADDRESS), False)
            else:
                self._homes = pa.array(np.zeros(len(self.col), dtype=bool))
        return self._homes


@dataclass
class PeopleColumn:
    """What one text column has shown: cells examined, and how many looked like names or homes.

    Each batch is probed on its first ``PROBE`` cells; only when the probe holds names (half of
    its cells or more) or a home address is the whole batch examined. A column of names or
    addresses is so examined in full (its counts are exact), while the other columns, nearly all
    of them, cost a probe per batch. The shares that decide are over the cells examined.
    """

    cells: int = 0
    names: int = 0
    distinct_names: set[str] = field(default_factory=set)
    name_samples: list[tuple[int, str]] = field(default_factory=list)
    addresses: int = 0
    address_samples: list[tuple[int, str]] = field(default_factory=list)

    def scan(self, col: pa.Array, rows: pa.Array) -> None:
        """Examine one batch of a text column (vectorized; Python sees only the samples kept)."""
        if len(col) > PROBE:
            probe = _Cells(col.slice(0, PROBE), rows.slice(0, PROBE))
            if probe.names().true_count < NAME_PROBE_SHARE * probe.present and not probe.homes().true_count:
                self._add(probe)
                return
        self._add(_Cells(col, rows))

    def _add(self, cells: _Cells) -> None:
        self.cells += cells.present
        named = cells.names()
        if named.true_count:
            self.names += named.true_count
            values = pc.filter(cells.col, named)
            if len(self.distinct_names) < NAME_MIN_DISTINCT:
                self.distinct_names.update(pc.unique(values).slice(0, NAME_MIN_DISTINCT).to_pylist())
            self._keep(self.name_samples, values, pc.filter(cells.rows, named), mask_name)
        homes = cells.homes()
        if homes.true_count:
            self.addresses += homes.true_count
            self._keep(self.address_samples, pc.filter(cells.col, homes), pc.filter(cells.rows, homes), mask_address)

    @staticmethod
    def _keep(samples: list[tuple[int, str]], values: pa.Array, rows: pa.Array, mask) -> None:
        need = SAMPLES - len(samples)
        if need > 0:
            samples.extend((r, mask(v)) for r, v in zip(rows.slice(0, need).to_pylist(),
                                                        values.slice(0, need).to_pylist(), strict=True))

    def holds_names(self) -> bool:
        """Most cells are personal names, and not just a few repeated ones."""
        return (self.cells > 0 and self.names >= NAME_SHARE * self.cells
                and len(self.distinct_names) >= NAME_MIN_DISTINCT)

    def holds_addresses(self) -> bool:
        """At least half the cells are addresses down to a home."""
        return self.cells > 0 and self.addresses >= ADDRESS_SHARE * self.cells


def _has_any(col: pa.Array, needles: tuple[bytes, ...]) -> bool:
    """True when a string array's bytes contain one of ``needles`` (cells concatenated: may say yes
    for nothing, never no for a match)."""
    data = col.buffers()[2] if len(col) else None
    if data is None:
        return False
    width = 8 if pa.types.is_large_string(col.type) else 4
    offsets = np.frombuffer(col.buffers()[1], dtype=np.int64 if width == 8 else np.int32,
                            count=len(col) + 1, offset=col.offset * width)
    raw = memoryview(data)[int(offsets[0]):int(offsets[-1])].tobytes()  # only this slice's cells
    return any(n in raw for n in needles)


_ADDRESS_MARKS = tuple(ch.encode() for ch in "幢栋单元室号楼院组")
_SINGLE = pa.array(sorted(SURNAMES), pa.string())
_COMPOUND = pa.array(sorted(COMPOUND_SURNAMES), pa.string())
