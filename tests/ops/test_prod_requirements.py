"""requirements.txt, which a production host installs (docs/deploying.md), holds every package
the apps import, even one imported only inside a function (pypdf for the paper batches' PDF
was in requirements-dev.txt only). CI proves it in a virtualenv of its own (`make
check-prod-deps`, bin/import_every_module.py); these tests check the same from the installed
packages' metadata in a second, and that the check fails loudly."""

import importlib.metadata
import importlib.util
import os
import re
import subprocess
import sys
import textwrap

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .helpers import ROOT

SCRIPT = ROOT / "bin" / "import_every_module.py"


def load_checker():
    spec = importlib.util.spec_from_file_location("import_every_module", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def installed_by(requirements_file) -> set[str]:
    """The distributions pip installs for this file: its lines, their extras, and everything
    they require in turn, as this Python's markers decide."""
    wanted = []
    for line in requirements_file.read_text(encoding="utf-8").splitlines():
        line = line.split(" #", 1)[0].strip()
        if line and not line.startswith(("#", "-")):
            wanted.append((Requirement(line), ""))
    installed: set[str] = set()
    seen: set[tuple[str, frozenset]] = set()
    while wanted:
        requirement, extra = wanted.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        if (name, frozenset(requirement.extras)) in seen:
            continue
        seen.add((name, frozenset(requirement.extras)))
        installed.add(name)
        for dependency in importlib.metadata.requires(requirement.name) or []:
            dependency = Requirement(dependency)
            for each in requirement.extras or {""}:
                wanted.append((dependency, each))
    return installed


def test_every_package_the_apps_import_is_installed_by_requirements_txt():
    checker = load_checker()
    first_party = set(checker.first_party_packages()) | {"tests", "bench"}
    imported: dict[str, str] = {}  # top-level name -> where it is imported first
    for package in checker.first_party_packages():
        for module, path, importable in checker.modules_of(package):
            for line, target, _names in checker.imports_in(package, module, path, importable):
                top = target.split(".")[0]
                if top not in first_party and top not in sys.stdlib_module_names:
                    imported.setdefault(top, f"{path.relative_to(ROOT)}:{line}")
    assert {"django", "pandas", "weasyprint", "pypdf"} <= set(imported)

    production = installed_by(ROOT / "requirements.txt")
    providers = importlib.metadata.packages_distributions()
    missing = sorted(
        f"{top} ({where})"
        for top, where in imported.items()
        if not {canonicalize_name(d) for d in providers.get(top, [])} & production
    )
    assert missing == [], "imported by the apps, not installed by requirements.txt"


def test_requirements_dev_txt_pins_none_of_the_production_packages_again():
    # It installs requirements.txt first (-r); a second pin of a package there could only drift.
    def pins(path):
        found = re.findall(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==", path.read_text(encoding="utf-8"), re.M)
        return {canonicalize_name(name) for name in found}

    assert "-r requirements.txt" in (ROOT / "requirements-dev.txt").read_text()
    assert pins(ROOT / "requirements.txt") & pins(ROOT / "requirements-dev.txt") == set()


def run_checker(tmp_path, *packages):
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_VERSION"}
    env |= {"DEBUG": "1", "PYTHONPATH": str(tmp_path)}
    return subprocess.run(
        [sys.executable, str(SCRIPT), *packages], cwd=tmp_path, env=env, capture_output=True, text=True
    )


def test_the_check_fails_naming_a_package_imported_inside_a_function_that_is_not_installed(tmp_path):
    app = tmp_path / "printing"
    (app / "management" / "commands").mkdir(parents=True)
    for folder in (app, app / "management", app / "management" / "commands"):
        (folder / "__init__.py").write_text("")
    (app / "pdf.py").write_text(
        textwrap.dedent(
            """
            import json

            try:
                import ujson_not_installed as fast_json  # optional: skipped
            except ImportError:
                fast_json = json


            def merge():
                from pdf_package_not_installed import PdfWriter
                from django.utils import text_that_does_not_exist
                from . import helpers
            """
        )
    )
    (app / "helpers.py").write_text("")
    (app / "management" / "commands" / "render.py").write_text("import module_not_installed_at_all\n")
    result = run_checker(tmp_path, "printing")
    assert result.returncode == 1
    assert "import_every_module: 3 import(s) fail" in result.stderr
    assert (
        "printing.pdf, line 11: `from pdf_package_not_installed import PdfWriter`: ModuleNotFoundError" in result.stderr
    )
    assert "printing.pdf, line 12: `from django.utils import text_that_does_not_exist`" in result.stderr
    assert "printing.management.commands.render (" in result.stderr and "module_not_installed_at_all" in result.stderr
    assert "ujson" not in result.stderr and "helpers" not in result.stderr


def test_the_check_passes_on_the_apps_here_and_counts_their_modules():
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_VERSION"} | {"DEBUG": "1"}
    result = subprocess.run([sys.executable, str(SCRIPT)], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    count = int(re.search(r"(\d+) modules of checklist, reports, safetysurvey, surveys import", result.stdout).group(1))
    assert count > 50


def test_ci_runs_the_check_in_a_virtualenv_of_requirements_txt_only():
    assert re.search(r"^make -s check-prod-deps\b", (ROOT / ".ci" / "run").read_text(), re.M)
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\ncheck-prod-deps:", 1)[1].split("\n\n", 1)[0]
    assert "bin/find-python" in recipe and "-m venv" in recipe and "mktemp -d" in recipe
    assert "-r requirements.txt" in recipe and "requirements-dev" not in recipe
    assert "bin/import_every_module.py" in recipe
