"""A small reader of gettext .po files, for the translation tests (no polib or babel here)."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Entry:
    msgid: str
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr)


def read_po(path: str | Path) -> list[Entry]:
    """The entries of a .po file, the header (msgid "") left out."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None  # which string a continuation line extends
    flags: set[str] = set()
    references: list[str] = []

    def finish():
        nonlocal entry
        if entry is not None and entry.msgid:
            entries.append(entry)
        entry = None

    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
        if not line:
            continue
        if line.startswith("#,"):
            flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#:"):
            references += line[2:].split()
            continue
        if line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            value = ast.literal_eval(line)
            name, index = target
            if name == "msgstr":
                entry.msgstr[index] += value
            else:
                setattr(entry, name, getattr(entry, name) + value)
            continue
        value = ast.literal_eval(rest.strip())
        if keyword in ("msgctxt", "msgid") and (entry is None or entry.msgstr):
            # A new entry starts; the comments read since the last one belong to it.
            finish()
            entry = Entry(msgid="", flags=flags, references=references, obsolete=obsolete)
            flags, references = set(), []
        if keyword == "msgctxt":
            entry.msgctxt, target = value, ("msgctxt", 0)
        elif keyword == "msgid":
            entry.msgid, target = value, ("msgid", 0)
        elif keyword == "msgid_plural":
            entry.msgid_plural, target = value, ("msgid_plural", 0)
        elif keyword == "msgstr":
            entry.msgstr, target = [value], ("msgstr", 0)
        elif keyword.startswith("msgstr["):
            index = int(keyword[7:-1])
            entry.msgstr += [""] * (index + 1 - len(entry.msgstr))
            entry.msgstr[index], target = value, ("msgstr", index)
    finish()
    return [entry for entry in entries if not entry.obsolete]
