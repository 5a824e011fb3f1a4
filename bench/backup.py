"""Time the two backup recipes of docs/deploying.md on PostgreSQL.

    /work/main/.venv/bin/python bench/backup.py [responses]      (default 20000)

Drops and creates its own databases (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/bench_backup, and the same name + "_restored"), migrates,
seeds `responses` demo responses (manage.py seed_demo), then times, each as the command an
operator types (so Django's start-up, about a second, is included):

- `manage.py backup_export FILE.zip`
- `manage.py backup_restore FILE.zip` into a freshly migrated database
- `manage.py backup_restore FILE.zip --force` over the same data
- `pg_dump --format=custom` and `pg_restore` into a fresh database

and prints the seconds, the file sizes and the objects per second of the restore.
"""

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_backup")


def database_url(name: str) -> str:
    return urlsplit(URL)._replace(path=f"/{name}").geturl()


def admin(sql: str) -> None:
    subprocess.run(["psql", database_url("postgres"), "-q", "-c", sql], check=True)


def fresh(name: str) -> str:
    admin(f'DROP DATABASE IF EXISTS "{name}"')
    admin(f'CREATE DATABASE "{name}"')
    return database_url(name)


def manage(url: str, *args: str) -> tuple[float, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_VERSION"} | {"DEBUG": "1", "DATABASE_URL": url}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return time.monotonic() - started, done.stdout


def timed(command: list[str]) -> float:
    started = time.monotonic()
    subprocess.run(command, check=True)
    return time.monotonic() - started


def main() -> None:
    responses = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    name = urlsplit(URL).path.lstrip("/")
    source = fresh(name)
    manage(source, "migrate", "--noinput", "-v0")
    seed = ("seed_demo", "--responses", str(responses), "--seed", "1", "--password", "bench-pw-2026")
    seeding, _ = manage(source, *seed)
    with tempfile.TemporaryDirectory() as scratch:
        archive = Path(scratch) / "backup.zip"
        dump = Path(scratch) / "backup.dump"
        export, said = manage(source, "backup_export", str(archive))
        objects = int(re.search(r"(\d+) objects", said).group(1))
        target = fresh(f"{name}_restored")
        manage(target, "migrate", "--noinput", "-v0")
        restore, _ = manage(target, "backup_restore", str(archive))
        forced, _ = manage(target, "backup_restore", str(archive), "--force")
        pg_dump = timed(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", source])
        target = fresh(f"{name}_restored")
        pg_restore = timed(["pg_restore", "--no-owner", "--jobs=2", f"--dbname={target}", str(dump)])
        sizes = archive.stat().st_size, dump.stat().st_size
    print(f"responses: {responses}, objects in the backup: {objects} (seeded in {seeding:.1f} s)")
    print(f"backup_export:            {export:6.1f} s   {sizes[0] / 1e6:6.1f} MB zip")
    print(f"backup_restore (empty):   {restore:6.1f} s   {objects / restore:7.0f} objects/s")
    print(f"backup_restore --force:   {forced:6.1f} s")
    print(f"pg_dump -Fc:              {pg_dump:6.1f} s   {sizes[1] / 1e6:6.1f} MB dump")
    print(f"pg_restore --jobs=2:      {pg_restore:6.1f} s")
    admin(f'DROP DATABASE IF EXISTS "{name}_restored"')
    admin(f'DROP DATABASE IF EXISTS "{name}"')


if __name__ == "__main__":
    main()
