"""The library's layout holds: packages depend only downwards, no import cycle (counting imports
inside functions), and the Python-shell jobs import only the folders `make lint` holds to 3.9."""

import ast
import re
from pathlib import Path

import helpers

REPO = helpers.REPO
LIBRARY = REPO / "shared"
PACKAGE = LIBRARY / "gamboge"
# Lowest first: a package may import its own modules and those of packages below it, never above
# or beside it.
LAYERS = [
    {"common"},
    {"lake"},
    {"ingest", "warehouse", "spark"},
    {"transform", "load"},
    {"ops"},
    {"check"},
    {"dev"},
    {"cli"},
]
RANK = {package: rank for rank, layer in enumerate(LAYERS) for package in layer}


def module_name(path: Path) -> str:
    name = ".".join(path.relative_to(LIBRARY).with_suffix("").parts)
    return name[: -len(".__init__")] if name.endswith(".__init__") else name


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(path: Path):
    """Every gamboge module ``path`` imports, at module level or inside a function."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "gamboge":
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                yield candidate if candidate in MODULES else node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "gamboge":
                    yield alias.name


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in RANK) else ""


def test_every_package_has_a_layer():
    packages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == set(RANK)


def test_packages_depend_only_downwards():
    wrong = []
    for module, path in MODULES.items():
        source = package_of(module)
        for target in imports_of(path):
            destination = package_of(target)
            if source and destination and source != destination and RANK[destination] >= RANK[source]:
                wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_no_import_cycle():
    graph = {m: {t for t in imports_of(p) if t in MODULES and t != m} for m, p in MODULES.items()}
    # A package's __init__ is imported with each of its modules; it imports nothing here.
    state, stack, cycles = {}, [], []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert cycles == []


def python_shell_folders():
    """The folders the Makefile's PY39_PATH names (what vermin and python3.9 check)."""
    text = (REPO / "Makefile").read_text().replace("\\\n", " ")
    (line,) = re.findall(r"^PY39_PATH = (.*)$", text, flags=re.M)
    return {p for p in line.split() if p.startswith("shared/gamboge/") and not p.endswith(".py")}


def test_the_python_shell_jobs_import_only_what_make_lint_holds_to_3_9():
    allowed = {f"gamboge.{Path(folder).name}" for folder in python_shell_folders()}
    seen, todo = set(), []
    for script in ("glue_jobs/ingest_totesys.py", "glue_jobs/warehouse_setup.py"):
        todo += list(imports_of(REPO / script))
    while todo:
        module = todo.pop()
        if module in seen or module not in MODULES:
            continue
        seen.add(module)
        todo += list(imports_of(MODULES[module]))
    outside = sorted(m for m in seen if m != "gamboge" and not any(m == a or m.startswith(a + ".") for a in allowed))
    assert outside == []
    assert {"gamboge.ingest.job", "gamboge.warehouse.warehouse_role", "gamboge.lake.storage"} <= seen
