"""The layout of the house (docs/architecture.md): packages import only from the layers
below them, no module imports itself back, modules stay small, every package names its
public parts, and the names of the outputs are spelled only in `core/`."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from core.names import Column, File, Metric, Table
from tests.conftest import ROOT

# Lower layers first: a package may import from its own layer's packages and those below.
LAYERS = [
    ["core"],
    ["text"],
    ["readers", "backends"],
    ["inference"],
    ["transforms"],
    ["reports"],
    ["pipeline"],
    ["tools", "bench"],
]
PACKAGES = [package for layer in LAYERS for package in layer]
LAYER = {package: level for level, layer in enumerate(LAYERS) for package in layer}
MAX_LINES = 300
SQL = re.compile(r"\b(select|where|group by|order by)\b", re.IGNORECASE)


def modules() -> dict[str, Path]:
    """Every module of the project's packages by dotted name."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _type_checking_lines(tree: ast.Module) -> set[int]:
    """Lines inside `if TYPE_CHECKING:` blocks (imports for annotations only)."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules `name` imports at run time (`from pkg import sub` counts as
    importing `pkg.sub` when that is a module)."""
    tree = ast.parse(path.read_text())
    skipped = _type_checking_lines(tree)
    found = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in known else node.module)
    return {module for module in found if module in known and module != name}


def test_packages_import_only_from_their_layer_and_below():
    every = modules()
    upward = [
        f"{name} imports {target}"
        for name, path in every.items()
        for target in imports(name, path, set(every))
        if LAYER[target.split(".")[0]] > LAYER[name.split(".")[0]]
    ]
    assert upward == []


def test_no_import_cycles():
    every = modules()
    graph = {name: imports(name, path, set(every)) for name, path in every.items()}
    cycles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                cycles.append(" → ".join([*stack[stack.index(target) :], target]))
            elif target not in state:
                visit(target, [*stack, target])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_the_walk_sees_a_cycle_when_there_is_one(tmp_path):
    (tmp_path / "a.py").write_text("import b\n")
    (tmp_path / "b.py").write_text("from a import x\n")
    known = {"a", "b"}
    assert imports("a", tmp_path / "a.py", known) == {"b"}
    assert imports("b", tmp_path / "b.py", known) == {"a"}


def test_modules_stay_small():
    long = {
        name: count
        for name, path in modules().items()
        if (count := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_every_package_lists_its_public_names():
    for package in PACKAGES:
        tree = ast.parse((ROOT / package / "__init__.py").read_text())
        names = [
            target.id
            for node in tree.body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        ]
        assert "__all__" in names, f"{package}/__init__.py has no __all__"


def _docstrings(tree: ast.Module) -> set[int]:
    nodes = [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef))]
    return {
        id(node.body[0].value)
        for node in nodes
        if node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def spelled_names(source: str) -> list[str]:
    """Names of tables, files, metrics (any string equal to one) and columns (a subscript
    key, or a word of SQL) spelled in `source` rather than taken from core.names."""
    exact = {str(name) for kind in (Table, File, Metric) for name in kind}
    columns = {str(name) for name in Column} | {str(name) for name in Table}
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        key = node.slice if isinstance(node, ast.Subscript) else None
        if isinstance(key, ast.Constant) and key.value in columns:
            found.append(f"line {node.lineno}: [{key.value!r}]")
        if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
            continue
        if id(node) in docstrings:
            continue
        if node.value in exact:
            found.append(f"line {node.lineno}: {node.value!r}")
        elif SQL.search(node.value):
            words = set(re.findall(r"\w+", node.value)) & columns
            found += [f"line {node.lineno}: {word!r} in SQL" for word in sorted(words)]
    return found


def test_output_names_are_spelled_only_in_core():
    spelled = {
        name: names
        for name, path in modules().items()
        # bench/ writes results of its own, whose keys are not the pipeline's outputs
        if not name.startswith(("core", "bench")) and (names := spelled_names(path.read_text()))
    }
    assert spelled == {}


def test_the_name_check_finds_literals():
    source = 'x = row["doc_id"]\ny = "segments"\nz = f"select doc_id from t {y}"\n'
    assert spelled_names(source) == [
        "line 1: ['doc_id']",
        "line 2: 'segments'",
        "line 3: 'doc_id' in SQL",
    ]


def test_every_metric_is_counted_somewhere():
    code = "\n".join(
        path.read_text() for name, path in modules().items() if not name.startswith("core")
    )
    unused = [metric.name for metric in Metric if f"Metric.{metric.name}" not in code]
    assert unused == []
