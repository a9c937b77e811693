"""CPU seconds of a process tree, read from /proc: the servers' side of a benchmark."""

from __future__ import annotations

import os
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu(*roots: int) -> float:
    """User + system CPU seconds of ``roots`` and all their descendants, with the children they reaped."""
    parents, cpu = {}, {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # gone since the listing
                continue
            parents[int(entry.name)] = int(fields[1])
            cpu[int(entry.name)] = sum(int(v) for v in fields[11:15]) / TICK
    tree, todo = set(roots), list(roots)
    while todo:
        parent = todo.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        todo.extend(children)
    return sum(cpu.get(pid, 0.0) for pid in tree)
