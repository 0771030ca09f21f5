"""donations.models imports each table's module when one of its names is first asked for."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from sqlmodel import SQLModel

from donations import models

MODELS = Path(models.__file__).parent


def test_every_name_is_found_in_the_module_said() -> None:
    for name, module in models.MODULE_OF.items():
        assert getattr(models, name).__module__ == f"donations.models.{module}", name


def test_the_names_for_the_type_checker_are_the_names_found_at_run_time() -> None:
    tree = ast.parse((MODELS / "__init__.py").read_text())
    for_the_type_checker = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.If)  # if TYPE_CHECKING:
        for statement in node.body
        if isinstance(statement, ast.ImportFrom)
        for alias in statement.names
    }
    assert for_the_type_checker == set(models.MODULE_OF)
    assert set(models.__all__) == {*models.MODULE_OF, "Frequency", "load_all", "utcnow"}


def _imported_models(module: str) -> set[str]:
    """The modules of donations/models that `module` imports, and those they import."""
    found: set[str] = set()
    waiting = [module]
    while waiting:
        tree = ast.parse((MODELS / f"{waiting.pop()}.py").read_text())
        for node in ast.walk(tree):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                imported = name.removeprefix("donations.models.")
                if imported != name and imported not in found:
                    found.add(imported)
                    waiting.append(imported)
    return found


def test_a_table_module_imports_the_tables_its_foreign_keys_name() -> None:
    # So that whatever subset a process has loaded can be joined and flushed.
    models.load_all()
    module_of_table = {
        table.name: module
        for module in set(models.MODULE_OF.values())
        for table in SQLModel.metadata.sorted_tables
        if table.name in _tables_defined_in(module)
    }
    for table in SQLModel.metadata.sorted_tables:
        module = module_of_table[table.name]
        for key in table.foreign_keys:
            target = module_of_table[key.column.table.name]
            assert target == module or target in _imported_models(module), (table.name, key)


def _tables_defined_in(module: str) -> set[str]:
    defined = sys.modules[f"donations.models.{module}"].__dict__.values()
    return {
        value.__tablename__
        for value in defined
        if isinstance(value, type)
        and issubclass(value, SQLModel)
        and value.__module__ == f"donations.models.{module}"
        and hasattr(value, "__table__")
    }


def test_a_report_command_maps_only_the_tables_it_reads() -> None:
    probe = (
        "import sys; from donations.cli import build; build(['report']); "
        "print(sorted(m for m in sys.modules if m.startswith('donations.models.')))\n"
        "from donations.reports import period\n"
        "print(sorted(m for m in sys.modules if m.startswith('donations.models.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.splitlines() == [
        "['donations.models.base']",
        "['donations.models.base', 'donations.models.choices', 'donations.models.memberships',"
        " 'donations.models.payments', 'donations.models.supporters']",
    ]
