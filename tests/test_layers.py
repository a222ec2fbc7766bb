"""The architecture is checked, not only drawn: read every module's own imports (ast) and refuse any that reaches
upwards — core ← services (accounts, places, publishing, submissions) ← transports (openrosa, web, api, cli, app)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = "core"
SERVICES = ("accounts", "places", "publishing", "submissions")
LEAVES = ("forms", "maps", "exports")  # pure toolkits: rows and files in and out, used by services and transports
RANKS = {CORE: 0, **dict.fromkeys(SERVICES, 1), **dict.fromkeys(LEAVES, 1), "transport": 2}


def layer_of(module: str) -> str:
    """The layer a dotted module name belongs to: core, a service package, a leaf, or transport."""
    parts = module.split(".")
    if parts[0] in LEAVES:
        return parts[0]
    assert parts[0] == "server", module
    if len(parts) > 1 and (parts[1] == CORE or parts[1] in SERVICES):
        return parts[1]
    return "transport"  # openrosa, web, api, cli, app, deps, error_handlers and the package itself


def module_name(path: Path, root: Path = ROOT) -> str:
    """The dotted name of a source file under a root (the repository's)."""
    relative = path.relative_to(root).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def project_imports(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """The project modules a file imports (line, dotted name), resolving relative imports; function-level imports
    count as much as top-level ones."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" for alias in node.names]  # `from server import x` is x's layer
        else:
            continue
        found += [(node.lineno, name) for name in names if name.split(".")[0] in ("server", *LEAVES)]
    return found


def sources(*tops: str) -> list[Path]:
    """Every Python source of the given top-level packages (migrations are Alembic's scripts, not a layer)."""
    return sorted(p for top in tops for p in (ROOT / top).rglob("*.py") if "migrations" not in p.parts)


def upward_imports(paths: list[Path], root: Path = ROOT) -> list[str]:
    """Every import from a lower layer into a higher one, as 'file:line imports module (layer → layer)'."""
    problems: dict[tuple[Path, int, str], str] = {}
    for path in paths:
        own = layer_of(module_name(path, root))
        for line, target in project_imports(path, root):
            other = layer_of(target)
            if RANKS[other] > RANKS[own]:
                problems.setdefault(
                    (path, line, other), f"{path.relative_to(root)}:{line} imports {target} ({own} → {other})"
                )
    return list(problems.values())


def service_cycles(paths: list[Path], root: Path = ROOT) -> list[list[str]]:
    """Cycles in the graph of service packages importing each other (a service may use another, never in a ring)."""
    edges: dict[str, set[str]] = {name: set() for name in SERVICES}
    for path in paths:
        own = layer_of(module_name(path, root))
        if own in SERVICES:
            edges[own] |= {layer_of(t) for _, t in project_imports(path, root) if layer_of(t) in SERVICES} - {own}
    cycles = []

    def walk(node: str, trail: list[str]) -> None:
        for nxt in sorted(edges[node]):
            if nxt == trail[0]:
                cycles.append([*trail, nxt])
            elif nxt not in trail and nxt > trail[0]:  # each cycle once, from its smallest member
                walk(nxt, [*trail, nxt])

    for start in SERVICES:
        walk(start, [start])
    return cycles


ALL = sources("server", *LEAVES)


def test_no_module_imports_a_higher_layer() -> None:
    assert upward_imports(ALL) == []


def test_service_packages_do_not_import_each_other_in_a_ring() -> None:
    assert service_cycles(ALL) == []


def test_every_layer_is_present_and_few_modules_sit_at_the_top() -> None:
    layers = {layer_of(module_name(p)) for p in ALL}
    assert {CORE, *SERVICES, "transport"} <= layers
    assert len(list((ROOT / "server").glob("*.py"))) <= 6


@pytest.mark.parametrize("package", sorted({p.parent for p in ALL if p.name == "__init__.py"}), ids=str)
def test_every_package_says_what_it_holds(package: Path) -> None:
    docstring = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
    assert docstring, f"{package.relative_to(ROOT)}/__init__.py has no docstring"


@pytest.mark.parametrize(
    ("where", "planted", "expected"),
    [
        ("server/core/planted.py", "from server.submissions.receive import receive", "core → submissions"),
        ("server/core/planted.py", "from ..submissions import facts", "core → submissions"),
        ("server/places/planted.py", "from server.web.security import Staff", "places → transport"),
        ("server/core/planted.py", "def later() -> None:\n    import server.places.coverage", "core → places"),
        ("maps/planted.py", "import server.openrosa.routes", "maps → transport"),
    ],
)
def test_a_planted_upward_import_is_caught(tmp_path: Path, where: str, planted: str, expected: str) -> None:
    path = tmp_path / where
    path.parent.mkdir(parents=True)
    path.write_text(f'"""Planted by the layering test."""\n\n{planted}\n', encoding="utf-8")
    problems = upward_imports([path], tmp_path)
    assert len(problems) == 1
    assert expected in problems[0]


def test_a_planted_ring_between_services_is_caught(tmp_path: Path) -> None:
    for where, planted in (("places/a.py", "from server.submissions import facts"),
                           ("submissions/b.py", "from server.places.rollup import place_codes")):  # fmt: skip
        (tmp_path / "server" / where).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "server" / where).write_text(planted + "\n", encoding="utf-8")
    paths = sorted((tmp_path / "server").rglob("*.py"))
    assert upward_imports(paths, tmp_path) == []  # sideways, not upwards: only the ring check sees it
    assert service_cycles(paths, tmp_path) == [["places", "submissions", "places"]]
