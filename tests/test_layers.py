"""Imports run one way (docs/architecture.md, "What may import what").

From the top: the entry points (the app factory, the CLI), the web layer, the webhook intake,
the domain (checkout, reports, supporters, staff, privacy ...), and the foundation (database,
SQL helpers, models, money, settings, the process state and what it holds). A module may
import its own layer and the layers below it, never one above. Besides the layers:
- in donations/ and webhooks/, only the app factory and the CLI import `webhooks` and
  `donations.web` (tests and bench may drive either);
- `stripe_emulator` imports nothing of ours but its own (it speaks to the app over HTTP);
- nothing shipped imports `tests` or `bench`, and `bench` does not import `tests`.

Every import counts: at module level, inside a function, under `if TYPE_CHECKING:`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("donations", "webhooks", "stripe_emulator", "stripe_events", "bench", "tests")

ENTRY = ("donations.app", "donations.cli", "donations.__main__")
FOUNDATION = (
    "donations.db",
    "donations.lone_writes",
    "donations.prepared",
    "donations.sql",
    "donations.migrations",
    "donations.models",
    "donations.money",
    "donations.frequency",
    "donations.settings",
    "donations.production",
    "donations.logs",
    "donations.json_logs",
    "donations.state",
    "donations.stripe_api",
    "donations.ratelimit",
    "donations.progress_cache",
    "donations.login_memory",
    "donations.offer_cache",
)
# Top to bottom. The domain is what is left of donations/ once the others are taken.
LAYERS = ("entry", "web", "webhooks", "domain", "foundation")


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int

    def __str__(self) -> str:
        return f"{self.importer} imports {self.imported} (line {self.line})"


def within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)


def layer(module: str) -> str | None:
    """The layer of one of our modules; None for what is outside the layered packages."""
    if within(module, ENTRY):
        return "entry"
    if within(module, ("donations.web",)):
        return "web"
    if within(module, ("webhooks",)):
        return "webhooks"
    if within(module, FOUNDATION):
        return "foundation"
    if within(module, ("donations",)):
        return "domain"
    return None


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, root: Path) -> Iterator[Import]:
    """Every module `path` imports, `from a import b` counted as `a.b` (b may be a module)."""
    importer = module_name(path, root)
    package = importer if path.name == "__init__.py" else importer.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(importer, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            for alias in node.names:
                yield Import(importer, f"{source}.{alias.name}", node.lineno)


def all_imports(root: Path, packages: tuple[str, ...] = PACKAGES) -> list[Import]:
    found: list[Import] = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            found.extend(imports_of(path, root))
    return found


def violations(imports: list[Import]) -> list[str]:
    found: list[str] = []
    for each in imports:
        importer, imported = each.importer, each.imported
        top = imported.partition(".")[0]
        if top not in PACKAGES:
            continue  # the standard library and third parties
        mine, theirs = layer(importer), layer(imported)
        if mine is not None and theirs is not None:
            if LAYERS.index(theirs) < LAYERS.index(mine):
                found.append(f"{each}: the {mine} layer reaches up to the {theirs} layer")
            if theirs == "web" and mine not in ("entry", "web"):
                found.append(f"{each}: only the app factory and the CLI import donations.web")
            if theirs == "webhooks" and mine not in ("entry", "webhooks"):
                found.append(f"{each}: only the app factory and the CLI import webhooks")
        if within(importer, ("stripe_emulator",)) and top != "stripe_emulator":
            found.append(f"{each}: the emulator imports nothing of ours")
        if top == "tests" and not within(importer, ("tests",)):
            found.append(f"{each}: only tests import tests")
        if top == "bench" and not within(importer, ("bench", "tests")):
            found.append(f"{each}: only bench and its smoke test import bench")
    return found


def test_every_import_runs_down_the_layers() -> None:
    assert violations(all_imports(ROOT)) == []


def test_every_module_of_donations_has_a_layer_and_the_foundation_exists() -> None:
    modules = {module_name(path, ROOT) for path in (ROOT / "donations").rglob("*.py")}
    assert {layer(module) for module in modules} == {
        "entry",
        "web",
        "domain",
        "foundation",
    }
    missing = [
        prefix for prefix in FOUNDATION if not any(within(module, (prefix,)) for module in modules)
    ]
    assert missing == []


WRONG_WAYS = {
    "donations/reports/leaky.py": "from donations.web.state import app_state\n",
    "donations/money.py": "from donations.reports import progress\n",
    "donations/supporters.py": "def f() -> None:\n    import webhooks.inbox\n",
    "webhooks/handlers/x.py": "from ...donations.web import admin\n",
    "donations/web/pages.py": "from webhooks import endpoint\n",
    "stripe_emulator/api.py": "from donations.money import exponent\n",
    "bench/load.py": "from tests.support import servers\n",
}


@pytest.mark.parametrize("path", sorted(WRONG_WAYS))
def test_an_import_running_back_up_is_found(tmp_path: Path, path: str) -> None:
    source = WRONG_WAYS[path]
    file = tmp_path / path
    file.parent.mkdir(parents=True, exist_ok=True)
    for parent in file.relative_to(tmp_path).parents:
        (tmp_path / parent / "__init__.py").touch()
    file.write_text(source)
    found = violations(all_imports(tmp_path, (path.partition("/")[0],)))
    assert len(found) >= 1
    assert all(path.removesuffix(".py").replace("/", ".") in line for line in found)


def test_an_import_running_down_is_allowed(tmp_path: Path) -> None:
    file = tmp_path / "donations" / "web" / "pages.py"
    file.parent.mkdir(parents=True)
    file.write_text(
        "from donations.reports import progress\nfrom donations.state import app_state\n"
        "from donations import money\nimport starlette\n"
    )
    imports = all_imports(tmp_path, ("donations",))
    assert [str(each) for each in imports] == [
        "donations.web.pages imports donations.reports.progress (line 1)",
        "donations.web.pages imports donations.state.app_state (line 2)",
        "donations.web.pages imports donations.money (line 3)",
        "donations.web.pages imports starlette (line 4)",
    ]
    assert violations(imports) == []
