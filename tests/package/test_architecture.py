"""The package's shape: no private name imported across modules, no import cycle, modules of one job.

The imports are read with :mod:`ast` (nothing is executed), lazy imports inside functions
included: a cycle that only a lazy import hides is still a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "assocrate"
#: Longest module allowed (the aim is < 500 lines; none may pass this).
MAX_LINES = 600


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path):
    """``(target module, imported name, line)`` for every ``from ... import`` of the package."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "assocrate":
                    yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "assocrate":
                continue
            for alias in node.names:
                yield target, alias.name, node.lineno


def _graph() -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_nodes_from(MODULES)
    for name, path in MODULES.items():
        for target, imported, _ in _imports(name, path):
            submodule = f"{target}.{imported}"
            graph.add_edge(name, submodule if submodule in MODULES else target)
    return graph


def test_the_walk_sees_the_package():
    graph = _graph()
    assert len(MODULES) > 30 and graph.number_of_edges() > 60
    assert graph.has_edge("assocrate.core.design", "assocrate.core.patterns")


def test_no_private_name_is_imported_across_modules():
    offences = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {imported} from {target}"
        for name, path in MODULES.items()
        for target, imported, line in _imports(name, path)
        if imported and imported.startswith("_") and not imported.startswith("__") and target != name
    ]
    assert offences == []


def test_no_import_cycle():
    cycles = [" -> ".join(cycle) for cycle in nx.simple_cycles(_graph())]
    assert cycles == []


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_size(name):
    lines = MODULES[name].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{name} has {lines} lines; split it (one module, one job)"
