"""The docs cover what the code offers: every command, every key, every shipped layer."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from placespend.boundaries import LAYERS
from placespend.cli import app
from placespend.keys import KEYS

ROOT = Path(__file__).parents[1]


def test_readme_lists_every_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = typer.main.get_command(app).commands
    missing = [name for name in commands if f"`placespend {name}" not in readme]
    assert missing == []


def test_method_documents_every_key():
    method = (ROOT / "docs" / "METHOD.md").read_text(encoding="utf-8")
    assert [k for k in KEYS if f"`{k}`" not in method] == []


def test_boundaries_readme_describes_every_shipped_layer():
    readme = (ROOT / "boundaries" / "README.md").read_text(encoding="utf-8")
    shipped = sorted(p.stem for p in (ROOT / "boundaries").glob("*.parquet"))
    assert set(LAYERS) <= set(shipped)
    assert [name for name in shipped if f"`{name}.parquet`" not in readme] == []


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_readme_lists_every_setting_with_its_help():
    """Every environment setting is in the README's settings table, with its help text."""
    from placespend.settings import SETTINGS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {line.split("`")[1]: line for line in readme.splitlines()
            if line.startswith("| `PLACESPEND_")}
    assert [s.name for s in SETTINGS if s.name not in rows] == []
    assert [s.name for s in SETTINGS if s.help not in rows[s.name]] == []


def test_every_environment_variable_read_is_a_declared_setting():
    """No ``PLACESPEND_*`` name appears in the code without being one of the settings."""
    import re

    from placespend.settings import SETTINGS

    found = set()
    for folder in ("placespend", "scripts", "benchmarks"):
        for path in (ROOT / folder).rglob("*.py"):
            found |= set(re.findall(r"PLACESPEND_[A-Z_]+", path.read_text(encoding="utf-8")))
    found |= set(re.findall(r"PLACESPEND_[A-Z_]+", (ROOT / "app.py").read_text(encoding="utf-8")))
    assert len(found) >= 2
    assert sorted(found - {s.name for s in SETTINGS}) == []


def _architecture_section(title: str) -> str:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def test_architecture_module_table_names_every_module():
    table = _architecture_section("Python modules")
    modules = sorted(p.name for p in (ROOT / "placespend").glob("*.py"))
    assert len(modules) > 30
    assert [m for m in modules if f"`{m}`" not in table] == []


def test_architecture_names_every_table_of_a_built_store(demo_home):
    from placespend import paths, store

    section = _architecture_section("DuckDB tables")
    with store.connect(paths.db_path(demo_home)) as con:
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables order by 1").fetchall()]
    assert len(tables) > 20
    assert [t for t in tables if f"`{t}`" not in section] == []


def _app_pages() -> tuple[str, ...]:
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "PAGES" for t in node.targets):
            return tuple(ast.literal_eval(node.value))
    raise AssertionError("app.py has no PAGES")


def test_readme_describes_every_page_of_the_app():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [p for p in _app_pages() if f"\n| {p} |" not in readme] == []


def test_readme_gives_every_listing_its_formats():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {line.split("`")[1].split()[1]: line for line in readme.splitlines()
            if line.startswith("| `placespend ")}
    for name in ("estates", "quarantine", "coverage", "reconcile"):
        assert "--format table\\|csv\\|json" in rows[name], name


#: Code that reads a built store (the app's pages, exports, the pot, reports, listings) ...
READ_SIDE = ("reads", "views", "export", "pot", "reports", "compare", "listings", "charts",
             "maps", "geography", "intervals", "key_errors")
#: ... and the code that builds one, which none of them may load, even indirectly.
BUILD_SIDE = ("build", "ingest", "register", "column_mapping", "atoms", "demo", "accuracy",
              "_accuracy_report", "uploads", "boundaries", "apportion", "geometry_cache")


@pytest.mark.parametrize("module", READ_SIDE)
def test_the_read_side_loads_no_build_code(module):
    """Each read-side module, imported alone in a fresh interpreter, never loads the build,
    the spend ingest, the atoms, the demo generator or the accuracy test (issue 17 item 2)."""
    code = (f"import sys, placespend.{module}; "
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('placespend.'))))")
    loaded = set(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                text=True).stdout.split())
    assert f"placespend.{module}" in loaded
    assert sorted(loaded & {f"placespend.{m}" for m in BUILD_SIDE}) == []


def test_the_build_side_list_names_real_modules():
    """A renamed module must not silently drop out of the check above."""
    have = {p.stem for p in (ROOT / "placespend").glob("*.py")}
    assert [m for m in (*READ_SIDE, *BUILD_SIDE) if m not in have] == []
