"""The package's layout: each stage imports only the stages before it, and no module is long."""

from __future__ import annotations

import ast
from pathlib import Path

import multilevel

PACKAGE = Path(multilevel.__file__).parent
# The stages in the order data flows through them; a module may import its own stage and
# those before it. errors, names and blocks serve every stage; api orchestrates them all.
# Plots read a fit through its methods and brms's names only, so the fit's plot methods may
# import them.
STAGES = ["errors", "names", "blocks", "families", "spec", "priors", "model", "describe",
          "inference", "plots", "results", "datasets", "api", "cli", "__init__", "__main__"]
LONGEST_MODULE = 600


def _stage(module: str) -> str:
    return module.split(".")[1] if "." in module else "__init__"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """multilevel modules that ``path`` imports, at module level or inside functions."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("multilevel"):
                if node.module:
                    found.add(target)
                found.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("multilevel"))
    return {name for name in found if _is_module(name)}


def _is_module(name: str) -> bool:
    relative = Path(*name.split(".")[1:])
    return (PACKAGE / relative).with_suffix(".py").exists() or (PACKAGE / relative).is_dir()


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py"))


def test_every_stage_imports_only_earlier_stages():
    problems = []
    for path in _modules():
        here = _stage(_module_name(path))
        for target in _imports(path):
            there = _stage(target) if target != "multilevel" else "__init__"
            if target == "multilevel" and path.name != "__init__.py":
                there = "__init__"
            if STAGES.index(there) > STAGES.index(here):
                problems.append(f"{_module_name(path)} imports {target}")
    assert problems == []


def test_no_import_cycles_between_modules():
    graph = {}
    for path in _modules():
        name = _module_name(path)
        graph[name] = {t for t in _imports(path) if t != name and not name.startswith(t + ".")}
    visiting, done, cycles = set(), set(), []

    def visit(node, trail):
        if node in done:
            return
        if node in visiting:
            cycles.append(" -> ".join(trail[trail.index(node):] + [node]))
            return
        visiting.add(node)
        for target in sorted(graph.get(node, ())):
            visit(target, trail + [node])
        visiting.discard(node)
        done.add(node)

    for node in sorted(graph):
        visit(node, [])
    assert cycles == []


def test_no_module_is_longer_than_the_house_limit():
    long = {str(p.relative_to(PACKAGE)): n for p in _modules()
            if (n := len(p.read_text().splitlines())) > LONGEST_MODULE}
    assert long == {}
