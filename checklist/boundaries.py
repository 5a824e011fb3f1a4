"""District boundaries from a GeoJSON file, for the choropleth map of the region report.

`boundaries_load(text=..., code_property="code")` reads a FeatureCollection whose features
carry a property with a District code and a Polygon or MultiPolygon geometry (longitude,
latitude in degrees, RFC 7946), checks all of it and stores each geometry in
District.boundary. A bad file is refused with every problem listed and nothing is written.
"""

import json
import math

from django.db import transaction

from .loading import DataFileError
from .models import District

GEOMETRY_TYPES = ("Polygon", "MultiPolygon")


def _position_problem(position) -> str | None:
    if not isinstance(position, list) or len(position) < 2:
        return "a position must be [longitude, latitude]"
    lon, lat = position[0], position[1]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in (lon, lat)):
        return "longitude and latitude must be numbers"
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return f"[{lon}, {lat}] is not a longitude and latitude in degrees"
    return None


def _polygon_problems(polygon) -> list[str]:
    if not isinstance(polygon, list) or not polygon:
        return ["a polygon must be a non-empty list of rings"]
    problems = []
    for number, ring in enumerate(polygon, 1):
        if not isinstance(ring, list) or len(ring) < 4:
            problems.append(f"ring {number} needs at least 4 positions")
            continue
        for position in ring:
            if problem := _position_problem(position):
                problems.append(f"ring {number}: {problem}")
                break
        else:
            if ring[0][:2] != ring[-1][:2]:
                problems.append(f"ring {number} is not closed (its last position must repeat the first)")
    return problems


def geometry_problems(geometry) -> list[str]:
    """What is wrong with a GeoJSON geometry for a district boundary (empty: nothing)."""
    if not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRY_TYPES:
        return ["the geometry must be a Polygon or a MultiPolygon"]
    coordinates = geometry.get("coordinates")
    if geometry["type"] == "Polygon":
        return _polygon_problems(coordinates)
    if not isinstance(coordinates, list) or not coordinates:
        return ["a MultiPolygon needs at least one polygon"]
    return [f"polygon {n}: {p}" for n, polygon in enumerate(coordinates, 1) for p in _polygon_problems(polygon)]


def parse_boundaries(text: str, code_property: str = "code") -> dict[str, dict]:
    """{district code: geometry} from the file, or DataFileError listing every problem."""
    try:
        data = json.loads(text)
    except ValueError as error:
        raise DataFileError([f"not valid JSON ({error})"]) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise DataFileError(["the file must be a GeoJSON FeatureCollection"])
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise DataFileError(["the FeatureCollection has no features"])
    known = set(District.objects.values_list("code", flat=True))
    problems, found = [], {}
    for number, feature in enumerate(features, 1):
        where = f"feature {number}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.append(f"{where}: not a GeoJSON Feature")
            continue
        code = (feature.get("properties") or {}).get(code_property)
        if not isinstance(code, str) or not code:
            problems.append(f"{where}: no {code_property!r} property with a district code")
            continue
        where = f"{where} ({code})"
        if code not in known:
            problems.append(f"{where}: there is no district with this code")
        elif code in found:
            problems.append(f"{where}: this district has a boundary earlier in the file")
        problems.extend(f"{where}: {problem}" for problem in geometry_problems(feature.get("geometry")))
        found.setdefault(code, feature.get("geometry"))
    if problems:
        raise DataFileError(problems)
    return found


@transaction.atomic
def boundaries_load(*, text: str, code_property: str = "code") -> list[str]:
    """Store the boundaries of the file (all or nothing). Returns the codes loaded."""
    geometries = parse_boundaries(text, code_property)
    for code, geometry in geometries.items():
        district = District.objects.get(code=code)
        district.boundary = {"type": geometry["type"], "coordinates": geometry["coordinates"]}
        district.save(update_fields=["boundary"])
    return sorted(geometries)


@transaction.atomic
def boundaries_clear() -> int:
    return District.objects.exclude(boundary__isnull=True).update(boundary=None)
