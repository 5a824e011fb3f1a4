"""The README's local `manage.py` commands work as written (issue 11, item 17)."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _local_part() -> str:
    return README.split("## Production", 1)[0]


def test_every_local_manage_py_command_in_the_readme_carries_the_development_settings():
    commands = [line for line in re.findall(r"^.*manage\.py .*$", _local_part(), re.M) if line.startswith(".venv")]
    assert not commands, f"these would stop at 'SECRET_KEY must be set': {commands}"


def test_the_documented_load_districts_command_runs_as_written(tmp_path):
    line = next(line for line in re.findall(r"^DEBUG=1 \.venv/bin/python manage\.py load_districts.*$", README, re.M))
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY", "DEBUG")}
    environment["DATABASE_URL"] = f"sqlite:///{tmp_path / 'local.sqlite3'}"
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env={**environment, "DEBUG": "1"}, check=True)
    # The command as the README writes it, with the shipped districts instead of the placeholder path.
    command = line.split("#")[0].replace("path/to/districts.yaml", "checklist/data/karaganda.yaml")
    command = command.replace(".venv/bin/python", python)
    done = subprocess.run(command, shell=True, cwd=ROOT, env=environment, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Loaded 16 districts" in done.stdout
