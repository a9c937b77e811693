"""The layers of docs/architecture.md, checked on the source: imports point downward only, no module
imports itself back through others, and the HTTP layers never touch the store.

Every ``import`` counts, also one inside a function (function-level imports are how circles hide);
only imports under ``if TYPE_CHECKING:`` are left out, since they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import opendata

PACKAGE = Path(opendata.__file__).parent
# a layer may import its own and any lower rank; api and web are one rank and do not import each other
RANKS = {"core": 0, "store": 1, "services": 2, "api": 3, "web": 3}
TOP = 4  # opendata/cli, opendata/app.py, opendata/wsgi.py: wiring, may import everything
SHARED = {"opendata", "opendata.config"}  # the version and the settings table, importable from every layer


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(tree: ast.AST, module: str, is_package: bool, modules: set[str]) -> set[str]:
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("opendata"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.split(".") if is_package else module.split(".")[:-1]
                parent = parent[: len(parent) - (node.level - 1)]
                base = ".".join(parent + ([base] if base else []))
            if base.startswith("opendata"):
                # "from package import module" imports that module; "from module import name", the module
                submodules = {f"{base}.{a.name}" for a in node.names} & modules
                found.update(submodules or {base})
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph() -> dict[str, set[str]]:
    """Module -> the opendata modules it imports (names that are not modules are dropped)."""
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {}
    for name, path in files.items():
        imported = _runtime_imports(ast.parse(path.read_text("utf-8")), name, path.name == "__init__.py", set(files))
        graph[name] = {m for m in imported if m in files and m != name}
    return graph


def _rank(module: str) -> int | None:
    if module in SHARED:
        return None
    parts = module.split(".")
    return RANKS.get(parts[1], TOP) if len(parts) > 1 else TOP


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_imports_point_downward_only():
    upward = []
    for module, imported in import_graph().items():
        for target in imported:
            here, there = _rank(module), _rank(target)
            if here is None or there is None:
                continue
            sideways = here == there == 3 and _layer(module) != _layer(target)
            if there > here or sideways:
                upward.append(f"{module} -> {target}")
    assert not upward, "imports against the layers: " + ", ".join(sorted(upward))


def test_api_and_web_never_import_the_store():
    found = sorted(f"{m} -> {t}" for m, imported in import_graph().items() for t in imported
                   if _layer(m) in ("api", "web") and _layer(t) == "store")
    assert not found, "store imported from the HTTP layer: " + ", ".join(found)


def test_no_import_circles():
    graph = import_graph()
    circles: list[list[str]] = []
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def strongconnect(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    assert not circles, "import circles: " + "; ".join(" <-> ".join(c) for c in circles)


def test_the_walk_sees_function_level_imports():
    graph = import_graph()
    assert "opendata.services.runtime" in graph["opendata.app"]
    assert graph["opendata.core.errors"] == set()
