"""The README's shell blocks as a test reads them: which session runs each, its
commands, and the output each shows; and how a shown output is compared with a real one.

A block runs when the line before its fence is ``<!-- doctest: SESSION -->``; blocks of
one session run in order, in one shell, in a fresh folder. ``<!-- doctest: skip WHY -->``
says why a block is not run; every ``sh`` block says one or the other. In a block with
``$ `` prompts, the lines after a command are what it prints; a command's own
``# → exit N`` says the exit code it ends with (0 otherwise). In what a command prints:

- ``ade94068-…`` stands for an id: the first output showing it says which, and later
  commands and outputs mean that one;
- a time (``2026-11-23T05:53:14.329666Z``) stands for any time, ``<hex>`` for any hex;
- ``…`` alone on a line stands for any lines, elsewhere for any text on the line;
- runs of spaces stand for any run of spaces;
- a JSON body shows some of the fields of the one printed: each must be there, as shown;
- ``HTTP/1.1 …`` output (``curl -i``) shows its status line, then headers that must be
  among the response's, then its body.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final

MARKER: Final = re.compile(r"<!-- doctest: (?P<session>[\w-]+)(?: (?P<why>.*?))? -->")
FENCE: Final = re.compile(r"^(?P<indent> *)```(?P<lang>\S*)\s*$")
EXIT: Final = re.compile(r"#\s*→\s*exit (?P<code>\d+)\s*$")
ID: Final = re.compile(r"(?P<prefix>[0-9a-f]{8})-…")
UUID: Final = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
TOKEN: Final = re.compile(
    r"(?P<id>[0-9a-f]{8}-…)"
    r"|(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)"
    r"|(?P<hex><hex>)"
    r"|(?P<any>…)"
    r"|(?P<space>\s+)"
)
SKIP: Final = "skip"


@dataclass(frozen=True, slots=True)
class Command:
    """One command of a block, what it prints (``None``: not shown) and its exit code."""

    text: str
    shown: str | None
    exit_code: int
    line: int


@dataclass(frozen=True, slots=True)
class Block:
    """A fenced block of the README and the session that runs it (``skip``: none)."""

    session: str | None
    lang: str
    text: str
    line: int
    why: str = ""

    def commands(self) -> list[Command]:
        return list(_commands(self.text.splitlines(), self.line + 1))


def blocks(readme: str) -> Iterator[Block]:
    """Every fenced block of ``readme``, with the marker before it, if any."""
    lines = readme.splitlines()
    index = 0
    while index < len(lines):
        opened = FENCE.match(lines[index])
        if opened is None or not opened["lang"]:
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].strip() == "```")
        marker = MARKER.fullmatch(lines[index - 1].strip()) if index else None
        indent = len(opened["indent"])
        yield Block(
            session=marker["session"] if marker else None,
            lang=opened["lang"],
            text="\n".join(line[indent:] for line in lines[index + 1 : end]),
            line=index + 1,
            why=(marker["why"] or "") if marker else "",
        )
        index = end + 1


def _commands(lines: list[str], first_line: int) -> Iterator[Command]:
    prompted = any(line.startswith("$ ") for line in lines)
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.strip() or (prompted and not line.startswith("$ ")):
            index += 1
            continue
        start = index
        text = line[2:] if prompted else line
        while not _complete(text):
            index += 1
            text += "\n" + lines[index]
        index += 1
        shown: list[str] = []
        while prompted and index < len(lines) and not lines[index].startswith("$ "):
            shown.append(lines[index])
            index += 1
        code = EXIT.search(text.splitlines()[-1])
        yield Command(
            text=text,
            shown="\n".join(shown).strip("\n") if prompted else None,
            exit_code=int(code["code"]) if code else 0,
            line=first_line + start,
        )


def _complete(text: str) -> bool:
    try:
        shlex.split(text, comments=True)
    except ValueError:
        return False
    return not text.endswith("\\")


@dataclass(slots=True)
class Ids:
    """The ids the README stands for with ``ade94068-…``, as the outputs so far showed them."""

    known: dict[str, str] = field(default_factory=dict)

    def put_in(self, command: str) -> str:
        """``command`` with each id it stands for written out."""

        def written(found: re.Match[str]) -> str:
            if found["prefix"] not in self.known:
                raise LookupError(f"{found[0]} is used before any output shows it")
            return self.known[found["prefix"]]

        return ID.sub(written, command)


def differences(shown: str, printed: str, ids: Ids) -> str | None:
    """Why ``printed`` is not what ``shown`` shows (``None``: it is), learning in ``ids``
    the ids ``shown`` stands for."""
    printed = printed.replace("\r\n", "\n").rstrip()
    shown = shown.rstrip()
    if shown.startswith("HTTP/"):
        return _http_differences(shown, printed, ids)
    return _body_differences(shown, printed, ids)


def _http_differences(shown: str, printed: str, ids: Ids) -> str | None:
    shown_head, shown_body = _split_http(shown, blank_line=False)
    head, body = _split_http(printed, blank_line=True)
    status, *headers = shown_head
    if not re.fullmatch(_line_pattern(status, ids, {}), head[0]):
        return f"status line {head[0]!r}, not {status!r}"
    for header in headers:
        name = header.split(":", 1)[0].lower()
        theirs = [h for h in head[1:] if h.split(":", 1)[0].lower() == name]
        if not any(re.fullmatch(_line_pattern(header, ids, {}), h) for h in theirs):
            return f"header {header!r} not among {theirs!r}"
    return _body_differences(shown_body, body, ids)


def _split_http(text: str, *, blank_line: bool) -> tuple[list[str], str]:
    lines = text.split("\n")
    if blank_line:
        end = lines.index("") if "" in lines else len(lines)
        return lines[:end], "\n".join(lines[end + 1 :])
    end = next((i for i, line in enumerate(lines) if line[:1] in "{["), len(lines))
    return lines[:end], "\n".join(lines[end:])


def _body_differences(shown: str, printed: str, ids: Ids) -> str | None:
    try:
        document = json.loads(shown)
    except ValueError:
        document = None
    if document is not None:
        try:
            given = json.loads(printed)
        except ValueError:
            return f"printed no JSON:\n{printed}\n\nbut the README shows:\n{shown}"
        wrong = _json_differences(document, given, ids, "")
        return None if wrong is None else f"{wrong}\nprinted:\n{printed}"
    new: dict[str, str] = {}
    lines = "\n".join(line.rstrip() for line in printed.split("\n")) + "\n"
    found = re.fullmatch(_pattern(shown, ids, new), lines)
    if found is None:
        return f"printed:\n{printed}\n\nbut the README shows:\n{shown}"
    ids.known.update({prefix: found[group] for prefix, group in new.items()})
    return None


def _json_differences(shown: object, given: object, ids: Ids, where: str) -> str | None:
    """Why ``given`` is not what ``shown`` shows: each field shown must be there, and
    be as shown (fields not shown may be there too); lists are shown whole."""
    if isinstance(shown, dict):
        if not isinstance(given, dict):
            return f"{where or 'the body'} is {given!r}, not an object"
        for key, value in shown.items():
            if key not in given:
                return f"{where}.{key} is not in the response"
            if (wrong := _json_differences(value, given[key], ids, f"{where}.{key}")) is not None:
                return wrong
        return None
    if isinstance(shown, list):
        if not isinstance(given, list) or len(given) != len(shown):
            return f"{where} is {given!r}, not {shown!r}"
        for index, (one, other) in enumerate(zip(shown, given, strict=True)):
            if (wrong := _json_differences(one, other, ids, f"{where}[{index}]")) is not None:
                return wrong
        return None
    if isinstance(shown, str) and isinstance(given, str):
        new: dict[str, str] = {}
        found = re.fullmatch(_line_pattern(shown, ids, new), given, re.DOTALL)
        if found is None:
            return f"{where} is {given!r}, not {shown!r}"
        ids.known.update({prefix: found[group] for prefix, group in new.items()})
        return None
    if shown != given or type(shown) is not type(given):
        return f"{where} is {given!r}, not {shown!r}"
    return None


def _pattern(shown: str, ids: Ids, new: dict[str, str]) -> str:
    """A regular expression for the lines ``shown`` stands for; ``new`` gains the group
    of each id it shows first."""
    parts = []
    for line in shown.split("\n"):
        if line.strip() == "…":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            parts.append(_line_pattern(line.rstrip(), ids, new) + r"\n")
    return "".join(parts)


def _line_pattern(text: str, ids: Ids, new: dict[str, str]) -> str:
    out = []
    at = 0
    for found in TOKEN.finditer(text):
        out.append(re.escape(text[at : found.start()]))
        at = found.end()
        kind = found.lastgroup
        if kind == "id":
            prefix = found[0][:8]
            if prefix in ids.known:
                out.append(re.escape(ids.known[prefix]))
            elif prefix in new:
                out.append(f"(?P={new[prefix]})")
            else:
                new[prefix] = f"id_{prefix}"
                out.append(f"(?P<id_{prefix}>{UUID})")
        elif kind == "time":
            out.append(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
        elif kind == "hex":
            out.append("[0-9a-f]+")
        elif kind == "any":
            out.append(r"[^\n]*?")
        else:
            out.append(" +")
    out.append(re.escape(text[at:]))
    return "".join(out)


def sessions(readme: str) -> Mapping[str, list[Block]]:
    """The blocks each session runs, in the README's order."""
    run: dict[str, list[Block]] = {}
    for block in blocks(readme):
        if block.session not in (None, SKIP):
            run.setdefault(block.session, []).append(block)
    return run
