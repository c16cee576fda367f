"""``contracts`` installs on its own: no imports from the services or core, data files shipped."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

import keten_contracts
from keten_contracts.events import get_event_type
from keten_contracts.render import contracts_dir

PACKAGE = Path(keten_contracts.__file__).parent
ALLOWED_THIRD_PARTY = {"pydantic", "pydantic_core", "jsonschema", "yaml", "lxml"}


def test_imports_only_the_standard_library_and_declared_dependencies():
    stdlib = set(sys.stdlib_module_names)
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                assert top in stdlib | ALLOWED_THIRD_PARTY | {"keten_contracts"}, (
                    f"{path.name} imports {name}"
                )


@pytest.mark.slow
def test_wheel_installs_alone_and_its_command_works(tmp_path):
    root = contracts_dir()
    assert root is not None
    # Built from a clean copy: setuptools reuses an existing build/ folder, whose leftovers
    # (files removed from the source since) would end up in the wheel.
    source = tmp_path / "source"
    shutil.copytree(root, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    # Build isolation: the build backend comes from the registry as pyproject.toml pins it.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q", "-w", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("keten_contracts-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "keten_contracts/asyncapi.yaml" in names
    assert "keten_contracts/released/VERSION" in names
    assert "keten_contracts/schemas/events/nl.inburgering.pip.vastgesteld.v1.json" in names
    assert "keten_contracts/schemas/views/opdracht/map-aanbieder.json" in names
    assert "keten_contracts/swi/swi-1.0.xsd" in names  # rule 16: the SWI layout's XSD
    assert any(n.startswith("keten_contracts/released/events/") for n in names)
    assert not any(n.startswith(("keten_core", "services")) for n in names)

    # A fresh environment with only the wheel on top of its declared dependencies (reused from
    # this interpreter, so no network), and nothing of the services.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    # --system-site-packages sees the base interpreter's packages, not this venv's (lxml is
    # only here): add this interpreter's site-packages as a plain path. Its .pth files (the
    # editable installs) are not processed from there, so keten_contracts is the wheel's.
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "_this_interpreters_packages.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n"
    )
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
    )
    example = tmp_path / "event.json"
    example.write_text(json.dumps(get_event_type("nl.inburgering.pip.vastgesteld.v1").example()))
    cli = venv / "bin" / "keten-contracts"
    result = subprocess.run(
        [str(cli), "validate", str(example)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    where = subprocess.run(
        [str(python), "-c", "import keten_contracts; print(keten_contracts.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(venv) in where
    check = subprocess.run([str(cli), "check"], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
