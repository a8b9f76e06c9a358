"""Checks a step's requirements.txt against what the worker's interpreter has installed.

Nothing is installed: a missing distribution is an error, a version outside the requested range a
warning (the step may still work, and the user sees exactly which versions differ).
"""
import re
from importlib import metadata

from quiver_wire import QuiverError

_LINE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*?)\s*(;.*)?$")
_SPEC = re.compile(r"^(===|==|!=|~=|>=|<=|>|<)\s*([^\s,]+)$")


def check(path):
    """Returns warnings; raises QuiverError naming the first missing distribution."""
    warnings = []
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        m = _LINE.match(line)
        if not m:
            warnings.append(f"requirements.txt: cannot read '{line}'; skipped")
            continue
        name, specs = m.group(1), m.group(3)
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            raise QuiverError(f"requirements.txt needs {name}, which is not installed for the worker's Python; "
                              f"install it (on Debian: apt-get install python3-{name.lower()})", code="unsupported")
        for spec in filter(None, (s.strip() for s in specs.split(","))):
            sm = _SPEC.match(spec)
            if not sm:
                warnings.append(f"requirements.txt: cannot read the version rule '{spec}' for {name}; skipped")
            elif not _satisfies(installed, sm.group(1), sm.group(2)):
                warnings.append(f"requirements.txt asks for {name}{sm.group(1)}{sm.group(2)}; "
                                f"the worker has {name} {installed}")
    return warnings


def _key(version):
    parts = []
    for piece in re.split(r"[.+-]", version):
        m = re.match(r"^(\d+)", piece)
        if not m:
            break
        parts.append(int(m.group(1)))
    return parts


def _satisfies(installed, op, wanted):
    if wanted.endswith(".*") and op in ("==", "!="):
        prefix = _key(wanted[:-2])
        same = _key(installed)[:len(prefix)] == prefix
        return same if op == "==" else not same
    a, b = _key(installed), _key(wanted)
    width = max(len(a), len(b))
    a, b = a + [0] * (width - len(a)), b + [0] * (width - len(b))
    if op in ("==", "==="):
        return a == b
    if op == "!=":
        return a != b
    if op == ">=":
        return a >= b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    if op == "<":
        return a < b
    # ~=X.Y means >=X.Y and ==X.*
    floor = _key(wanted)
    return a >= b and _key(installed)[:max(len(floor) - 1, 1)] == floor[:max(len(floor) - 1, 1)]
