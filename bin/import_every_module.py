#!/usr/bin/env python3
"""Import every module of the apps, and every package they import anywhere, or fail naming each.

`make check-prod-deps` runs this in a fresh virtualenv holding requirements.txt only, so that
a package the apps need in production but only requirements-dev.txt installs fails CI, not a
production host. Importing the modules runs their top-level imports; the imports inside
functions (heavy libraries are imported where they are used: pypdf, weasyprint, openpyxl...)
run only when the function does, so each one is found in the source and imported here too.
An import inside `try: ... except ImportError` is optional and skipped, as are imports under
`if TYPE_CHECKING:`.

    bin/import_every_module.py           # every first-party package but tests/ and bench/
    bin/import_every_module.py surveys   # or the packages named

Needs settings that load: DEBUG=1 (or SECRET_KEY) in the environment.
"""

import ast
import importlib
import importlib.util
import os
import sys
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOT_APPS = {"tests", "bench"}
OPTIONAL = {"ImportError", "ModuleNotFoundError"}


def first_party_packages() -> list[str]:
    return sorted(p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file() and p.name not in NOT_APPS)


def modules_of(package: str) -> list[tuple[str, Path, bool]]:
    """(dotted name, file, importable) of the package and every Python file under it.

    A file Python cannot import by name (gunicorn.conf.py, a script in a folder that is no
    package) is named by its path, and only the imports in it are checked.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"import_every_module: {package} is not a package")
    found = []
    for location in spec.submodule_search_locations:
        base = Path(location)
        for path in sorted(base.rglob("*.py")):
            parts = path.relative_to(base).with_suffix("").parts
            # Importable: every folder on the way a package, every part a name.
            importable = all(part.isidentifier() for part in parts) and all(
                (base.joinpath(*parts[:i]) / "__init__.py").is_file() for i in range(1, len(parts))
            )
            if importable:
                name = ".".join((package, *(parts[:-1] if parts[-1] == "__init__" else parts)))
            else:
                name = f"{package}.{path.relative_to(base)}"
            found.append((name, path, importable))
    return found


class ImportsInSource(ast.NodeVisitor):
    """Every `import x` and `from x import y` of a module, but optional and type-checking ones."""

    def __init__(self, package: str):
        self.package = package  # what a relative import is relative to
        self.found: list[tuple[int, str, list[str]]] = []  # (line, module, names imported from it)

    def visit_Try(self, node):
        optional = any(self._catches_import_error(handler.type) for handler in node.handlers)
        if not optional:
            for child in node.body:
                self.visit(child)
        for child in [*node.handlers, *node.orelse, *node.finalbody]:
            self.visit(child)

    visit_TryStar = visit_Try

    def visit_If(self, node):
        test = node.test
        if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        ):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node):
        for alias in node.names:
            self.found.append((node.lineno, alias.name, []))

    def visit_ImportFrom(self, node):
        module = (
            importlib.util.resolve_name("." * node.level + (node.module or ""), self.package)
            if node.level
            else node.module
        )
        self.found.append((node.lineno, module, [alias.name for alias in node.names if alias.name != "*"]))

    @staticmethod
    def _catches_import_error(kind) -> bool:
        if kind is None:  # a bare except: catches everything, not meant as "optional"
            return False
        names = kind.elts if isinstance(kind, ast.Tuple) else [kind]
        return any(isinstance(name, ast.Name) and name.id in OPTIONAL for name in names)


def imports_in(package: str, module: str, path: Path, importable: bool) -> list[tuple[int, str, list[str]]]:
    """(line, module, names) of every import in the file (of `modules_of(package)`) that must work."""
    if importable:
        context = module if path.name == "__init__.py" else module.rpartition(".")[0]
    else:
        context = package
    visitor = ImportsInSource(context)
    visitor.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return visitor.found


def check_import(module: str, names: list[str]) -> None:
    imported = importlib.import_module(module)
    for name in names:
        if not hasattr(imported, name):
            importlib.import_module(f"{module}.{name}")  # a submodule; raises if it is neither


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safetysurvey.settings")
    import django

    django.setup()
    from django.conf import settings

    # As the first request does: the project's URLconf registers the path converters the
    # apps' URLconfs use (safetysurvey/converters.py).
    importlib.import_module(settings.ROOT_URLCONF)

    packages = argv or first_party_packages()
    failures: list[str] = []
    modules = 0
    for package in packages:
        for module, path, importable in modules_of(package):
            modules += 1
            if importable:
                try:
                    importlib.import_module(module)
                except BaseException as error:  # SystemExit from a module counts as a failure too
                    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
                    failures.append(
                        f"{module} ({where}): {type(error).__name__}: {error}\n{traceback.format_exc(limit=-3)}"
                    )
                    continue
            for line, target, names in imports_in(package, module, path, importable):
                try:
                    check_import(target, names)
                except BaseException as error:
                    shown = f"from {target} import {', '.join(names)}" if names else f"import {target}"
                    failures.append(f"{module}, line {line}: `{shown}`: {type(error).__name__}: {error}")
    if failures:
        print(f"import_every_module: {len(failures)} import(s) fail in {sys.prefix}:", file=sys.stderr)
        for failure in failures:
            print(f"  {failure}".rstrip(), file=sys.stderr)
        return 1
    print(f"import_every_module: {modules} modules of {', '.join(packages)} import, with every package they use")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
