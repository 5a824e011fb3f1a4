"""Load a checklist or a district list from a YAML data file, all or nothing.

A bad file is refused with every problem listed, each naming its line and item;
nothing is written unless the whole file is good. The format is described in
checklist/data/README.md.
"""

import re
from dataclasses import dataclass

import yaml
from django.db import transaction

from .definition import LANGUAGES
from .models import Checklist, District, Item, Option, Section

CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
DISTRICT_CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9-]*$")
SCORED_KINDS = ("likert",)
OPTION_KINDS = ("likert", "single", "multiple", "yes_no")
SUBSCORES = ("feeling", "environment", "police")


class DataFileError(Exception):
    """A data file that can't be loaded; `problems` lists each one with its place."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class _Located:
    """Finds the line of a path like ("sections", 2, "items", 4) in the parsed file."""

    root: yaml.Node | None

    def line(self, *path) -> int | None:
        node = self.root
        for key in path:
            if isinstance(node, yaml.MappingNode):
                node = next((value for k, value in node.value if k.value == key), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
                node = node.value[key]
            else:
                node = None
            if node is None:
                return None
        return node.start_mark.line + 1


# libyaml's C loader when PyYAML was built with it: about 15 times faster.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse(text: str) -> tuple[object, _Located]:
    try:
        return yaml.load(text, Loader=_Loader), _Located(yaml.compose(text, Loader=_Loader))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        raise DataFileError([f"{where}not valid YAML ({getattr(error, 'problem', error)})"]) from None


class _Problems(list):
    def __init__(self, located: _Located):
        super().__init__()
        self.located = located

    def add(self, path: tuple, message: str, item: str = ""):
        line = self.located.line(*path)
        place = f"line {line}" if line else "/".join(str(part) for part in path)
        self.append(f"{place}{f' (item {item})' if item else ''}: {message}")


def _texts(value, problems: _Problems, path: tuple, what: str, item: str = "", required=True) -> dict:
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        problems.add(path, f"{what} must give a text for each of ru, kk, en", item)
        return {}
    missing = [code for code in LANGUAGES if not str(value.get(code) or "").strip()]
    if missing and required:
        problems.add(path, f"{what} has no text in {', '.join(missing)}", item)
    return {code: str(value.get(code) or "").strip() for code in LANGUAGES}


def _split(texts: dict, name: str) -> dict:
    return {f"{name}_{code}": texts.get(code, "") for code in LANGUAGES}


def _options(raw, problems: _Problems, path: tuple, item: str) -> list[dict]:
    if not isinstance(raw, list) or not raw:
        problems.add(path, "options must be a non-empty list", item)
        return []
    options, seen = [], set()
    for index, option in enumerate(raw):
        where = (*path, index)
        if (
            not isinstance(option, dict)
            or isinstance(option.get("value"), bool)
            or not isinstance(option.get("value"), int)
        ):
            problems.add(where, "each option needs a whole-number value", item)
            continue
        if option["value"] in seen:
            problems.add(where, f"option value {option['value']} appears twice", item)
        seen.add(option["value"])
        options.append(
            {
                "value": option["value"],
                "missing": bool(option.get("missing", False)),
                "label": _texts(option.get("label"), problems, (*where, "label"), "option label", item),
            }
        )
    return options


def parse_checklist(text: str) -> dict:
    """Check a checklist file; return its content normalised, or raise DataFileError."""
    data, located = _parse(text)
    problems = _Problems(located)
    if not isinstance(data, dict):
        raise DataFileError(["the file must be a mapping with version, title, scales and sections"])
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        problems.add(("version",), "version must be a whole number from 1")
    scales = data.get("scales") or {}
    if not isinstance(scales, dict):
        problems.add(("scales",), "scales must be a mapping of names to option lists")
        scales = {}
    parsed_scales = {
        name: _options((scale or {}).get("options"), problems, ("scales", name, "options"), f"scale {name}")
        for name, scale in scales.items()
    }
    layout = data.get("layout", "sections")
    if layout not in ("sections", "one_page"):
        problems.add(("layout",), 'layout must be "sections" (one part per screen) or "one_page"')
    result = {
        "version": version,
        "layout": layout,
        "title": _texts(data.get("title"), problems, ("title",), "title"),
        "consent": _texts(data.get("consent"), problems, ("consent",), "consent"),
        "thanks": _texts(data.get("thanks"), problems, ("thanks",), "thanks"),
        "sections": [],
    }
    sections = data.get("sections")
    if not isinstance(sections, list) or not sections:
        problems.add(("sections",), "sections must be a non-empty list")
        sections = []
    items_so_far: dict[str, dict] = {}
    section_codes = set()
    for s_index, section in enumerate(sections):
        s_path = ("sections", s_index)
        if not isinstance(section, dict):
            problems.add(s_path, "a section must be a mapping")
            continue
        code = str(section.get("code") or "")
        if not code or code in section_codes:
            problems.add((*s_path, "code"), f"section code {code!r} is missing or repeated")
        section_codes.add(code)
        parsed_section = {
            "code": code,
            "title": _texts(section.get("title"), problems, (*s_path, "title"), "section title"),
            "intro": _texts(section.get("intro"), problems, (*s_path, "intro"), "intro", required=False),
            "items": [],
        }
        for i_index, item in enumerate(section.get("items") or []):
            parsed = _parse_item(item, problems, (*s_path, "items", i_index), parsed_scales, items_so_far)
            if parsed:
                items_so_far[parsed["code"]] = parsed
                parsed_section["items"].append(parsed)
        if not parsed_section["items"]:
            problems.add(s_path, f"section {code} has no items")
        result["sections"].append(parsed_section)
    for code, item in items_so_far.items():
        target = items_so_far.get(item["substitutes"]) if item["substitutes"] else None
        if item["substitutes"] and (target is None or target["kind"] != item["kind"]):
            problems.add((), f"substitutes must name an item of the same kind, not {item['substitutes']!r}", code)
    if sum(1 for item in items_so_far.values() if item["sdg"]) > 1:
        problems.add(("sections",), "only one item can be the SDG 16.1.4 indicator")
    if problems:
        raise DataFileError(problems)
    return result


def _parse_item(item, problems: _Problems, path: tuple, scales: dict, earlier: dict) -> dict | None:
    if not isinstance(item, dict):
        problems.add(path, "an item must be a mapping")
        return None
    code = str(item.get("code") or "")
    if not CODE_PATTERN.match(code):
        problems.add((*path, "code"), f"item code {code!r} must be lower-case letters, digits and _", code)
    elif code in earlier:
        problems.add((*path, "code"), "this code is used by an earlier item", code)
    kind = item.get("kind")
    if kind not in Item.Kind.values:
        problems.add((*path, "kind"), f"kind must be one of {', '.join(Item.Kind.values)}", code)
    options = []
    if kind in OPTION_KINDS:
        if "scale" in item:
            if item["scale"] not in scales:
                problems.add((*path, "scale"), f"unknown scale {item['scale']!r}", code)
            options = list(scales.get(item["scale"], []))
        if "options" in item:
            options += _options(item["options"], problems, (*path, "options"), code)
        if "extra_options" in item:
            options += _options(item["extra_options"], problems, (*path, "extra_options"), code)
        if not options:
            problems.add(path, "a choice item needs a scale or options", code)
        values = [option["value"] for option in options]
        if len(values) != len(set(values)):
            problems.add(path, "two options share a value", code)
    elif "scale" in item or "options" in item:
        problems.add(path, f"a {kind} item has no options", code)
    points = sorted(option["value"] for option in options if not option["missing"])
    if kind == "likert" and points != list(range(1, len(points) + 1)):
        problems.add(path, "the points of a scale must be valued 1, 2, … k (METHOD.md §3.1)", code)
    if kind == "likert" and len(points) < 2:
        problems.add(path, "a scale needs at least two points", code)
    subscore = item.get("subscore") or ""
    if subscore and (subscore not in SUBSCORES or kind not in SCORED_KINDS):
        problems.add((*path, "subscore"), f"subscore must be one of {', '.join(SUBSCORES)}, on a likert item", code)
    if item.get("reverse") and kind not in SCORED_KINDS:
        problems.add((*path, "reverse"), "only likert items can be reverse-coded", code)
    show_if = item.get("show_if")
    show_if_item, show_if_values = "", []
    if show_if is not None:
        if not isinstance(show_if, dict) or not isinstance(show_if.get("in"), list):
            problems.add((*path, "show_if"), "show_if needs item and in: [values]", code)
        else:
            show_if_item, show_if_values = str(show_if.get("item") or ""), show_if["in"]
            condition = earlier.get(show_if_item)
            if condition is None:
                problems.add((*path, "show_if"), f"show_if must name an earlier item, not {show_if_item!r}", code)
            elif condition["options"]:
                allowed = {option["value"] for option in condition["options"]}
                if not set(show_if_values) <= allowed:
                    problems.add((*path, "show_if"), f"{show_if_item} has no option {show_if_values}", code)
    minimum, maximum, max_length = item.get("min"), item.get("max"), item.get("max_length")
    if minimum is not None and maximum is not None and minimum > maximum:
        problems.add(path, "min is larger than max", code)
    if max_length is not None and (not isinstance(max_length, int) or max_length < 1):
        problems.add((*path, "max_length"), "max_length must be a positive whole number", code)
    return {
        "code": code,
        "kind": kind,
        "text": _texts(item.get("text"), problems, (*path, "text"), "question", code),
        "help": _texts(item.get("help"), problems, (*path, "help"), "help", code, required=False),
        "required": bool(item.get("required", False)),
        "reverse": bool(item.get("reverse", False)),
        "subscore": subscore,
        "sdg": bool(item.get("sdg", False)),
        "substitutes": str(item.get("substitutes") or ""),
        "show_if_item": show_if_item,
        "show_if_values": show_if_values,
        "min_value": minimum,
        "max_value": maximum,
        "max_length": max_length,
        "options": options,
    }


@transaction.atomic
def checklist_load(*, text: str, publish: bool = True) -> Checklist:
    """Create checklist version N from a file; a draft of the same version is replaced,
    a published one is never touched (METHOD: published versions are immutable)."""
    content = parse_checklist(text)
    existing = Checklist.objects.filter(version=content["version"]).first()
    if existing and existing.is_published:
        raise DataFileError([f"version {content['version']} is already published; give the file a new version number"])
    if existing:
        existing.delete()
    checklist = Checklist(
        version=content["version"],
        layout=content["layout"],
        **_split(content["title"], "title"),
        **_split(content["consent"], "consent"),
        **_split(content["thanks"], "thanks"),
    )
    checklist.full_clean()
    checklist.save()
    for s_order, section_data in enumerate(content["sections"]):
        section = Section.objects.create(
            checklist=checklist,
            code=section_data["code"],
            order=s_order,
            **_split(section_data["title"], "title"),
            **_split(section_data["intro"], "intro"),
        )
        for i_order, data in enumerate(section_data["items"]):
            item = Item.objects.create(
                section=section,
                order=i_order,
                **{
                    key: data[key]
                    for key in (
                        "code",
                        "kind",
                        "required",
                        "reverse",
                        "subscore",
                        "sdg",
                        "substitutes",
                        "show_if_item",
                        "show_if_values",
                        "min_value",
                        "max_value",
                        "max_length",
                    )
                },
                **_split(data["text"], "text"),
                **_split(data["help"], "help"),
            )
            Option.objects.bulk_create(
                Option(item=item, value=o["value"], order=o_order, missing=o["missing"], **_split(o["label"], "label"))
                for o_order, o in enumerate(data["options"])
            )
    if publish:  # last: a published checklist accepts no more sections, items or options
        checklist.publish()
    return checklist


def parse_districts(text: str) -> list[dict]:
    data, located = _parse(text)
    problems = _Problems(located)
    rows = data.get("districts") if isinstance(data, dict) else None
    if not isinstance(rows, list) or not rows:
        raise DataFileError(["the file must have a non-empty list under districts:"])
    known = set(District.objects.values_list("code", flat=True))
    seen, tiles, parsed = set(), {}, []
    for index, row in enumerate(rows):
        path = ("districts", index)
        if not isinstance(row, dict):
            problems.add(path, "a district must be a mapping")
            continue
        code = str(row.get("code") or "")
        if not DISTRICT_CODE_PATTERN.match(code) or code in seen:
            problems.add((*path, "code"), f"district code {code!r} is missing, repeated or not like KRG-KZB", code)
        seen.add(code)
        if row.get("kind") not in District.Kind.values:
            problems.add((*path, "kind"), f"kind must be one of {', '.join(District.Kind.values)}", code)
        parent = row.get("parent") or ""
        if parent and parent not in seen and parent not in known:
            problems.add((*path, "parent"), f"parent {parent!r} must come earlier in the file", code)
        margins = row.get("margins") or {}
        for dimension, shares in margins.items():
            valid = isinstance(shares, dict) and all(
                isinstance(k, int) and isinstance(v, (int, float)) and v >= 0 for k, v in shares.items()
            )
            if not valid or abs(sum(shares.values()) - 1) > 0.01:
                problems.add((*path, "margins", dimension), f"{dimension} shares must be numbers adding up to 1", code)
        tile = row.get("tile")
        if tile:
            cell = (tile.get("row"), tile.get("col"))
            if cell in tiles:
                problems.add((*path, "tile"), f"tile {cell} is already taken by {tiles[cell]}", code)
            tiles[cell] = code
        parsed.append(
            {
                "code": code,
                "kind": row.get("kind"),
                "parent": parent,
                "names": _texts(row.get("name"), problems, (*path, "name"), "name", code),
                "adult_population": row.get("adult_population"),
                "margins": {dim: {str(k): float(v) for k, v in shares.items()} for dim, shares in margins.items()},
                "tile": tile or {},
            }
        )
    if problems:
        raise DataFileError(problems)
    return parsed


@transaction.atomic
def districts_load(*, text: str) -> int:
    """Create or update districts by code, parents first. Returns how many were loaded."""
    rows = parse_districts(text)
    for row in rows:
        District.objects.update_or_create(
            code=row["code"],
            defaults={
                "kind": row["kind"],
                "parent": District.objects.get(code=row["parent"]) if row["parent"] else None,
                "adult_population": row["adult_population"],
                "margins": row["margins"],
                "tile_row": row["tile"].get("row"),
                "tile_col": row["tile"].get("col"),
                **_split(row["names"], "name"),
            },
        )
    return len(rows)
