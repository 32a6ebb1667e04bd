"""The package works once installed: a wheel built from this checkout, installed into a fresh
virtual environment outside it, builds, reconciles and exports from another folder.

The new environment borrows this one's third-party packages (a ``.pth`` line; ``.pth`` files
found there are not run, so this checkout's editable install stays out of it) and gets
placespend only from the wheel, so nothing can be read from the checkout by accident: the test
also runs from a folder with no ``pipelines/`` or ``boundaries/`` and checks where the code was
imported from.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from placespend import paths

pytestmark = pytest.mark.skipif(not paths.IN_CHECKOUT, reason="needs the source checkout")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out),
                    str(paths.REPO_DIR)], check=True, capture_output=True, timeout=600)
    (found,) = out.glob("placespend-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("fresh")
    env_dir = root / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                           "['purelib'])"], check=True, capture_output=True, text=True)
    borrowed = sysconfig.get_paths()["purelib"]
    Path(site.stdout.strip(), "borrowed.pth").write_text(borrowed + "\n", encoding="utf-8")
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-index", str(wheel)], check=True, capture_output=True, timeout=600)
    return env_dir


def test_the_wheel_carries_the_sql_the_boundaries_and_the_docs(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    for folder, kind in (("pipelines", ".sql"), ("pipelines/queries", ".sql"),
                         ("pipelines/checks", ".sql"), ("pipelines/accuracy", ".sql"),
                         ("boundaries", ".parquet"), ("docs", ".md")):
        shipped = sorted(p.name for p in (paths.REPO_DIR / folder).glob(f"*{kind}"))
        inside = sorted(Path(n).name for n in names
                        if n.startswith(f"placespend/{folder}/") and n.count("/") ==
                        folder.count("/") + 2 and n.endswith(kind))
        assert inside == shipped, folder
    assert "placespend/data/catalogue.yaml" in names


def test_the_installed_command_builds_reconciles_and_exports(installed, tmp_path):
    bin_dir = installed / "bin"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    home = tmp_path / "home"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(bin_dir / "placespend"), *args], cwd=elsewhere,
                              capture_output=True, text=True, timeout=600,
                              env={"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)})

    clean = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)}  # no PYTHONPATH
    where = subprocess.run([str(bin_dir / "python"), "-c", "import placespend.paths as p; "
                            "print(p.PIPELINES_DIR); print(p.default_home())"],
                           cwd=elsewhere, capture_output=True, text=True, check=True, env=clean)
    pipelines, default_home = where.stdout.split()
    assert Path(pipelines).is_relative_to(installed), pipelines
    assert not Path(default_home).is_relative_to(installed), "the store is kept per user"
    built = run("build", "--home", str(home))
    assert built.returncode == 0, built.stderr[-2000:]
    checked = run("reconcile", "--json", "--home", str(home))
    assert checked.returncode == 0 and json.loads(checked.stdout)["ok"] is True
    out = elsewhere / "out"
    exported = run("export", "--home", str(home), "--format", "csv", "--out", str(out))
    assert exported.returncode == 0, exported.stderr[-2000:]
    assert list(out.glob("*.csv"))
    assert "Traceback" not in built.stderr + checked.stderr + exported.stderr
