"""The library's option table as Python sees it: keyword names, value
conversion and the generated option reference."""

from __future__ import annotations

import ctypes
import os
import textwrap
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

from ._lib import OptionInfo, check, fn

_TYPE_NAMES = {1: "bool", 2: "int", 3: "float", 4: "str", 5: "color",
               6: "enum", 7: "length"}


class Option(NamedTuple):
    """One row of the library's option table."""

    name: str            # Python keyword: "outline_width"
    flag: str            # CLI flag and generic-setter name: "outline-width"
    id: int              # pinned wm_option id
    type: str            # bool, int, float, str, color, enum, length
    min: float
    max: float
    default: str         # as the generic setter takes it
    help: str
    choices: Tuple[str, ...]
    group: str


def _text(p: Optional[bytes]) -> str:
    return p.decode("utf-8") if p else ""


def _read_table() -> List[Option]:
    rows = []
    for i in range(fn.option_count()):
        info = OptionInfo()
        info.size = ctypes.sizeof(OptionInfo)
        check(fn.option_describe(i, ctypes.byref(info)))
        flag = _text(info.name)
        rows.append(Option(
            name=flag.replace("-", "_"), flag=flag, id=info.id,
            type=_TYPE_NAMES.get(info.type, "str"), min=info.min,
            max=info.max, default=_text(info.default_value),
            help=_text(info.help),
            choices=tuple(_text(info.choices).split("|"))
            if info.choices else (),
            group=_text(info.group)))
    return rows


OPTIONS: Dict[str, Option] = {o.name: o for o in _read_table()}


def canonical(name: str) -> str:
    """The Python keyword for an option name in either spelling; unknown
    names are returned as they are (the library then reports them)."""
    key = name.replace("-", "_")
    return key if key in OPTIONS else name


def _color_text(value: Any) -> Optional[str]:
    if isinstance(value, (tuple, list)) and len(value) in (3, 4) and all(
            isinstance(c, int) and 0 <= c <= 255 for c in value):
        return "#" + "".join(f"{c:02x}" for c in value)
    return None


def value_text(name: str, value: Any) -> str:
    """A Python value as the generic setter's text: booleans as
    true/false, numbers in full precision, paths as file names, colours
    also as (r, g, b[, a]) tuples of 0-255. The library checks the result
    and reports what it expected."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    if isinstance(value, os.PathLike):
        return os.fsdecode(value)
    opt = OPTIONS.get(canonical(name))
    if opt is not None and opt.type == "color":
        color = _color_text(value)
        if color is not None:
            return color
    return str(value)


def normalize(options: Dict[str, Any]) -> Tuple[Tuple[str, str], ...]:
    """Options as a sorted tuple of (name, text) pairs: the key of the mark
    cache. A value None means "the default" and is left out."""
    return tuple(sorted((canonical(k), value_text(k, v))
                        for k, v in options.items() if v is not None))


def _range_text(o: Option) -> str:
    if o.type == "enum":
        return "one of " + ", ".join(o.choices)
    if o.type in ("int", "float", "length") and o.max > o.min:
        lo = f"{o.min:g}"
        hi = f"{o.max:g}"
        unit = " (pixels, or '5%' of the shorter side)" \
            if o.type == "length" else ""
        return f"{lo} to {hi}{unit}"
    if o.type == "color":
        return "'#rrggbb[aa]', a CSS name or an (r, g, b[, a]) tuple"
    return ""


def reference() -> str:
    """The option reference, generated from the library's table."""
    lines = []
    for o in OPTIONS.values():
        head = f"{o.name} ({o.type}, default {o.default!r})"
        body = o.help
        extra = _range_text(o)
        if extra:
            body += "; " + extra
        lines.append("    " + head)
        lines.extend(textwrap.wrap(body, 72, initial_indent="        ",
                                   subsequent_indent="        "))
    return "Options (keyword arguments)\n" \
        "---------------------------\n" + "\n".join(lines) + "\n"
