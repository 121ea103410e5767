"""Imports run one way, `cms`/`governance` → `investors` → `shares` → `capital`, with no cycles.

Every module of our apps and of `config` is parsed with `ast`, so imports inside functions and
under `TYPE_CHECKING` count too. The table is the test's data: a new app adds its row.
"""

import ast
import functools
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("capital", "shares", "investors", "governance", "cms", "config")
MAY_IMPORT = {
    "capital": set(),
    "shares": {"capital"},
    "investors": {"shares", "capital"},
    "governance": {"shares", "capital"},
    "cms": {"investors", "shares", "capital"},
    "config": set(APPS),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def our_modules() -> dict[str, Path]:
    modules = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            modules[module_name(path)] = path
    return modules


MODULES = our_modules()


@functools.cache
def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def imports_of(name: str, path: Path) -> list[tuple[str, int]]:
    """(module imported, line) for every import in the file, resolved to our modules where it
    names one (`from investors.payments import gateway` is `investors.payments.gateway`)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(parsed(path)):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module
            for alias in node.names:
                candidate = f"{source}.{alias.name}"
                found.append((candidate if candidate in MODULES else source, node.lineno))
    return found


DOTTED = re.compile(rf"^({'|'.join(APPS)})\.[A-Za-z_][\w.]*$")
TEMPLATE_TAG = re.compile(r"""{%\s*(?:include|extends)\s+["']([\w-]+)/""")


def names_in_strings(path: Path) -> list[tuple[str, int]]:
    """Dotted paths of our apps written as strings (a lazy `ForeignKey("investors.Application")`,
    `import_string("cms.models.X")`, `apps.get_model("investors", ...)`): a dependency as real as
    an import. Docstrings are prose and are left out."""
    tree = parsed(path)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            if DOTTED.match(node.value):
                found.append((node.value, node.lineno))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get_model"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value in APPS
        ):
            found.append((node.args[0].value, node.lineno))
    return found


def app_of(module: str) -> str:
    return module.split(".")[0]


def upward_imports() -> list[str]:
    problems = []
    for name, path in MODULES.items():
        app = app_of(name)
        for imported, line in [*imports_of(name, path), *names_in_strings(path)]:
            target = app_of(imported)
            if target in MAY_IMPORT and target != app and target not in MAY_IMPORT[app]:
                problems.append(f"{path.relative_to(ROOT)}:{line} imports {imported} ({app} → {target})")
    return problems


def upward_templates() -> list[str]:
    """A template of an app includes or extends only its own, or those of the apps below it."""
    problems = []
    templates = ROOT / "templates"
    for path in sorted(templates.rglob("*")):
        if not path.is_file() or path.relative_to(templates).parts[0] not in MAY_IMPORT:
            continue
        app = path.relative_to(templates).parts[0]
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            for target in TEMPLATE_TAG.findall(line):
                if target in MAY_IMPORT and target != app and target not in MAY_IMPORT[app]:
                    problems.append(
                        f"{path.relative_to(ROOT)}:{number} uses {target}'s templates ({app} → {target})"
                    )
    return problems


def import_cycles() -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), and modules importing themselves."""
    graph = defaultdict(set)
    for name, path in MODULES.items():
        for imported, _ in imports_of(name, path):
            if imported in MODULES:
                graph[name].add(imported)
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph[node]:
                cycles.append(sorted(group))

    for node in sorted(MODULES):
        if node not in index:
            visit(node)
    return cycles


def test_no_app_imports_an_app_above_it():
    problems = upward_imports()
    assert not problems, "Imports against the layers:\n" + "\n".join(problems)


def test_no_template_reaches_an_app_above_it():
    problems = upward_templates()
    assert not problems, "Templates against the layers:\n" + "\n".join(problems)


def test_no_modules_import_each_other_in_a_circle():
    cycles = import_cycles()
    assert not cycles, "Import cycles:\n" + "\n".join(" → ".join(cycle) for cycle in cycles)


@pytest.mark.parametrize(
    "source",
    [
        'owner = models.ForeignKey("investors.Application", on_delete=models.PROTECT)\n',
        'task = import_string("cms.models.OfferPage")\n',
        'model = apps.get_model("governance", "Ballot")\n',
    ],
)
def test_a_dependency_written_as_a_string_counts(tmp_path, source):
    path = tmp_path / "module.py"
    path.write_text('"""A docstring naming investors.models is prose."""\n' + source)
    found = names_in_strings(path)
    assert len(found) == 1 and found[0][1] == 2


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from investors.payments import gateway\n", "investors.payments.gateway"),
        ("def later():\n    from cms import models\n", "cms.models"),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import cms.models\n", "cms.models"),
        ("from .. import errors\n", "capital.errors"),
    ],
)
def test_the_check_sees_every_kind_of_import(tmp_path, source, expected):
    path = tmp_path / "module.py"
    path.write_text(source)
    assert expected in [imported for imported, _ in imports_of("capital.returns.module", path)]


def test_an_upward_import_is_named_with_its_file_and_line(monkeypatch):
    fake = ROOT / "capital" / "upward_for_the_test.py"
    monkeypatch.setitem(MODULES, "capital.upward_for_the_test", fake)
    monkeypatch.setattr(
        Path, "read_text", _fake_source({fake: "import os\n\nfrom investors.models import Application\n"})
    )
    assert (
        "capital/upward_for_the_test.py:3 imports investors.models (capital → investors)" in upward_imports()
    )


def test_a_cycle_is_named_by_its_modules(monkeypatch):
    one, two = ROOT / "shares" / "one_for_the_test.py", ROOT / "shares" / "two_for_the_test.py"
    monkeypatch.setitem(MODULES, "shares.one_for_the_test", one)
    monkeypatch.setitem(MODULES, "shares.two_for_the_test", two)
    sources = {
        one: "from shares import two_for_the_test\n",
        two: "def f():\n    from shares import one_for_the_test\n",
    }
    monkeypatch.setattr(Path, "read_text", _fake_source(sources))
    assert ["shares.one_for_the_test", "shares.two_for_the_test"] in import_cycles()


def _fake_source(sources: dict[Path, str]):
    real = Path.read_text

    def read_text(self, *args, **kwargs):
        return sources[self] if self in sources else real(self, *args, **kwargs)

    return read_text
