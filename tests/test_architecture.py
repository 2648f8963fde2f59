"""The package's shape: no import cycles, and the boundaries between its parts hold.

The import graph is read from the source with ``ast`` (every ``import`` statement, those inside
functions too), so a cycle that only bites at a particular import order is caught as well.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "django_wxlogin"


def module_names(root: Path = PACKAGE) -> dict[str, Path]:
    """Every module of the package under ``root`` by dotted name (packages by their own)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imported(name: str, path: Path, node: ast.AST) -> list[str]:
    """The dotted names one import statement of module ``name`` (in ``path``) asks for."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        base = ".".join(package[:len(package) - node.level + 1])
        base = f"{base}.{node.module}" if node.module else base
    else:
        base = node.module or ""
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """Each module of the package and the package modules it imports (with their packages,
    which Python imports first)."""
    modules = module_names(root)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            for dotted in _imported(name, path, node):
                parts = dotted.split(".")
                targets.add(dotted)
                # Python imports the packages first; those enclosing this module already are.
                targets.update(prefix for prefix in (".".join(parts[:i])
                                                     for i in range(1, len(parts)))
                               if not name.startswith(prefix + "."))
        graph[name] = {target for target in targets if target in modules and target != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_package_has_no_import_cycle():
    assert cycles(import_graph()) == []


def test_a_cycle_is_found_however_it_is_spelt(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from .sub import b\n")
    (package / "sub" / "b.py").write_text("def f():\n    from .. import c\n")
    (package / "c.py").write_text("import pkg.a\n")
    (package / "d.py").write_text("from . import a\n")
    assert cycles(import_graph(package)) == [["pkg.a", "pkg.c", "pkg.sub.b"]]


def _imports_of(prefix: str) -> set[str]:
    graph = import_graph()
    return {target for name, targets in graph.items() if name.startswith(prefix)
            for target in targets}


def test_wechat_and_sessions_know_nothing_of_each_other():
    assert not {t for t in _imports_of("django_wxlogin.wechat") if ".sessions" in t}
    assert not {t for t in _imports_of("django_wxlogin.sessions") if ".wechat" in t}


def test_only_the_wechat_package_speaks_http():
    http = ("requests", "urllib", "http", "httpx", "urllib3")
    outside = []
    for name, path in module_names().items():
        if name.startswith("django_wxlogin.wechat"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            for dotted in _imported(name, path, node):
                if dotted.split(".")[0] in http:
                    outside.append(f"{name}: {dotted}")
    assert outside == []


def code_map() -> set[str]:
    """The modules ARCHITECTURE.md's code map names, as paths from the repository root: each
    ``### `dir/``` heading (the package itself), then list items that start with a
    `` `module.py` `` relative to it."""
    text = (PACKAGE.parent / "ARCHITECTURE.md").read_text()
    section = text.split("## Code map", 1)[1].split("\n## ", 1)[0]
    named, directory = set(), None
    for line in section.splitlines():
        heading = re.fullmatch(r"### `([\w/]+/)`", line)
        if heading:
            directory = heading.group(1)
            named.add(directory + "__init__.py")  # a package is named by its heading
        item = re.match(r"- `([\w/]+\.py)`", line)
        if item and directory:
            named.add(directory + item.group(1))
    return named


def package_modules() -> dict[str, bool]:
    """Every module of the package but its migrations, and whether the code map must name it
    (an empty ``__init__.py`` need not be)."""
    root = PACKAGE.parent
    return {path.relative_to(root).as_posix():
            path.name != "__init__.py" or bool(path.read_text().strip())
            for path in PACKAGE.rglob("*.py") if "migrations" not in path.parts}


def test_architecture_md_names_every_module_and_only_modules_that_exist():
    named, existing = code_map(), package_modules()
    assert len(named) > 30  # the parser found the code map
    assert sorted(named - set(existing)) == [], "ARCHITECTURE.md names modules that are gone"
    unnamed = sorted(path for path, must in existing.items() if must and path not in named)
    assert unnamed == [], "modules missing from ARCHITECTURE.md's code map"
