"""The desk's pictures, drawn on the server as inline SVG, so a card center's intranet
needs no chart library, no script and no font from anywhere.

Three pictures: the lifecycle as a state diagram (made from ``workflow.definition`` at
each call, never from a list of its own), entries per channel per day, and one bar per
labelled count. Each is an ``<svg role="img">`` named by its ``<title>`` and told in words
by its ``<desc>``; every text is escaped; the same input gives the same bytes. Colours
keep WCAG AA against the picture's own background (4.5:1 for text, 3:1 for lines and
marks), and no series is told from another by its colour alone.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final, Protocol

from api.desk._layout import Box, Link, Node, layered, number
from workflow import definition
from workflow.states import Channel, Event, State

MOST_DAYS: Final = 366
"""The most days one activity chart draws: a year, its leap day included."""
MOST_ROWS: Final = 100
"""The most bars one chart draws; a caller with more shows its top ones."""

BACKGROUND: Final = "#ffffff"
INK: Final = "#1f1f1f"
"""Text, node frames, and the lines of the steps people take."""
MUTED: Final = "#595959"
"""Axes and ticks."""
DEADLINE: Final = "#9c4a00"
"""The lines of the steps the system takes when a deadline passes."""
ENDED: Final = "#ebebeb"
"""The fill of an ended state."""
BAR: Final = "#2a5d9f"

SERIES: Final[Mapping[Channel, tuple[str, str, str]]] = dict(
    zip(
        Channel,
        (
            ("#1f5fa8", "", "disc"),
            ("#b34700", "7 3", "square"),
            ("#1d7a3c", "2 3", "triangle"),
            ("#7a3fa0", "9 3 2 3", "diamond"),
            ("#b3262e", "12 4", "down"),
            ("#00707f", "4 4", "plus"),
            ("#6b6300", "1 3", "cross"),
            ("#a3306f", "12 3 3 3", "ring"),
            ("#4d4d4d", "6 2 2 2", "box"),
        ),
        strict=True,
    )
)
"""Each channel's colour, dash pattern and marker, the same in every chart."""

_SHAPES: Final[Mapping[str, tuple[str, bool]]] = {
    "disc": ("M-4.5,0 a4.5,4.5 0 1,0 9,0 a4.5,4.5 0 1,0 -9,0 Z", True),
    "ring": ("M-4,0 a4,4 0 1,0 8,0 a4,4 0 1,0 -8,0 Z", False),
    "square": ("M-4,-4 h8 v8 h-8 Z", True),
    "box": ("M-4,-4 h8 v8 h-8 Z", False),
    "triangle": ("M0,-5 L5,4 L-5,4 Z", True),
    "down": ("M0,5 L5,-4 L-5,-4 Z", True),
    "diamond": ("M0,-5 L5,0 L0,5 L-5,0 Z", True),
    "plus": ("M-5,0 h10 M0,-5 v10", False),
    "cross": ("M-4,-4 l8,8 M-4,4 l8,-8", False),
}
"""Each marker's outline around its point, and whether it is filled."""

FONT: Final = (
    "system-ui, -apple-system, 'Segoe UI', 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif"
)
"""Faces the supervisor's own machine has: nothing is fetched."""
_NODE_TEXT: Final = 13.0
_TEXT: Final = 12.0
_NODE_HEIGHT: Final = 36.0
_START: Final = "\u25cf"
"""The start mark's key in the layout: no state's value."""
_OPENS: Final = "\u25cf\u25cf"
"""The replacement card's start mark's key."""
_ID: Final = "\ufffeid"
"""Stands for the picture's id prefix until its content, and so its digest, is known."""
_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class Labels(Protocol):
    """The words a picture names states, events and channels with (``Words`` is one)."""

    def state(self, state: State, /) -> str: ...

    def event(self, event: Event, /) -> str: ...

    def channel(self, channel: Channel, /) -> str: ...


def escaped(text: str) -> str:
    """``text`` safe as XML content or a quoted attribute, the characters XML cannot hold
    replaced, so a caller's label can neither break the picture nor add to it."""
    return (
        _NOT_XML.sub("\ufffd", text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def text_width(text: str, size: float) -> float:
    """An upper estimate of ``text``'s width in a sans-serif face: a wide (CJK) character
    takes an em, any other six tenths of one."""
    wide = sum(unicodedata.east_asian_width(c) in "WF" for c in text)
    return (wide + 0.6 * (len(text) - wide)) * size


def luminance(colour: str) -> float:
    """The relative luminance of ``#rrggbb`` (WCAG 2.1)."""
    r, g, b = (
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
        for c in (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    )
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, other: str) -> float:
    """The WCAG contrast ratio of two ``#rrggbb`` colours, from 1 to 21."""
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _text(
    x: float,
    y: float,
    content: str,
    *,
    size: float = _TEXT,
    anchor: str = "middle",
    fill: str = INK,
    halo: bool = False,
    data: str = "",
) -> str:
    """A line of text centred on ``y``; a halo of the background keeps it legible where
    it crosses a line."""
    ring = (
        f' stroke="{BACKGROUND}" stroke-width="4" stroke-linejoin="round" paint-order="stroke"'
        if halo
        else ""
    )
    return (
        f'<text x="{number(x)}" y="{number(y)}" font-size="{number(size)}" '
        f'text-anchor="{anchor}" dominant-baseline="central" fill="{fill}"{ring}{data}>'
        f"{escaped(content)}</text>"
    )


def _rect(box: Box, fill: str, extra: str = "") -> str:
    return (
        f'<rect x="{number(box.x)}" y="{number(box.y)}" width="{number(box.width)}" '
        f'height="{number(box.height)}" fill="{fill}"{extra}/>'
    )


def _svg(kind: str, view: Box, title: str, desc: str, body: Sequence[str]) -> str:
    """The picture, named by its title and description through ``aria-labelledby``; its
    ids made from its content, so two pictures on one page never share one."""
    inner = "".join(body)
    digest = hashlib.sha256(f"{kind}\n{title}\n{desc}\n{inner}".encode()).hexdigest()[:10]
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="cf-picture cf-{kind}" role="img" '
        f'aria-labelledby="{_ID}-title {_ID}-desc" width="100%" '
        f'viewBox="{number(view.x)} {number(view.y)} {number(view.width)} {number(view.height)}" '
        f'font-family="{escaped(FONT)}">'
        f'<title id="{_ID}-title">{escaped(title)}</title>'
        f'<desc id="{_ID}-desc">{escaped(desc)}</desc>'
        + _rect(view, BACKGROUND, ' data-surface="background"')
    )
    return (head + inner + "</svg>").replace(_ID, f"cf-{kind}-{digest}")


def _arrowhead(name: str, colour: str) -> str:
    return (
        f'<marker id="{_ID}-{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" '
        f'markerHeight="9" markerUnits="userSpaceOnUse" orient="auto">'
        f'<path d="M0,0.5 L10,5 L0,9.5 Z" fill="{colour}"/></marker>'
    )


@dataclass(frozen=True, slots=True)
class _Edge:
    """A line of the diagram: a transition, or where a reissue opens the replacement."""

    event: Event
    source: State | None
    dest: State
    deadline: bool
    channels: tuple[Channel, ...]
    opens: bool = False


def _edges() -> list[_Edge]:
    """Every transition of the definition as it stands, then the replacement's start."""
    edges = []
    for transition in definition.TRANSITIONS:
        rules = definition.carriers(transition)
        edges.append(
            _Edge(
                transition.event,
                transition.source,
                transition.dest,
                deadline=any(rule.due is not None for rule in rules),
                channels=tuple(rule.channel for rule in rules),
            )
        )
    for transition in definition.TRANSITIONS:
        if transition.event is Event.REISSUE:
            channels = tuple(rule.channel for rule in definition.carriers(transition))
            opens = definition.REPLACEMENT_OPENS
            edges.append(_Edge(Event.REISSUE, None, opens, False, channels, opens=True))
            break
    return edges


def workflow_svg(labels: Labels, *, title: str) -> str:
    """The card lifecycle as a state diagram: every state (the ended ones framed twice),
    every transition an arrow named by its event, the steps the system takes when a
    deadline passes dashed, laid out here on the server."""
    edges = _edges()
    marks = [_START] + [_OPENS] * any(edge.opens for edge in edges)
    nodes = [Node(mark, 14.0, 14.0) for mark in marks] + [
        Node(state, max(text_width(labels.state(state), _NODE_TEXT) + 28, 84.0), _NODE_HEIGHT)
        for state in State
    ]
    links = [
        Link(
            (_OPENS if edge.opens else _START) if edge.source is None else edge.source,
            edge.dest,
            (text_width(labels.event(edge.event), _TEXT) + 6, 16.0),
            edge.event,
        )
        for edge in edges
    ]
    first = next(t.dest for t in definition.TRANSITIONS if t.source is None)
    drawing = layered(
        nodes,
        links,
        first=first,
        entries=frozenset(marks),
        last=frozenset(definition.ENDED),
    )
    body = [f"<defs>{_arrowhead('ink', INK)}{_arrowhead('deadline', DEADLINE)}</defs>"]
    captions = []
    for edge, route in zip(edges, drawing.routes, strict=True):
        colour, head = (DEADLINE, "deadline") if edge.deadline else (INK, "ink")
        dash = ' stroke-dasharray="7 4"' if edge.deadline else ""
        source = "" if edge.source is None else f' data-source="{edge.source}"'
        opens = ' data-opens="replacement"' if edge.opens else ""
        carried = ", ".join(labels.channel(c) for c in edge.channels)
        body.append(
            f'<g data-event="{edge.event}"{source} data-dest="{edge.dest}" '
            f'data-deadline="{str(edge.deadline).lower()}"{opens}>'
            f"<title>{escaped(f'{labels.event(edge.event)}: {carried}')}</title>"
            f'<path d="{route.d}" fill="none" stroke="{colour}" stroke-width="1.6"{dash} '
            f'marker-end="url(#{_ID}-{head})"/></g>'
        )
        if route.label is not None:
            x, y = route.label
            captions.append(_text(x, y, labels.event(edge.event), fill=colour, halo=True))
    for mark in marks:
        box = drawing.boxes[mark]
        body.append(
            f'<circle data-start="{"replacement" if mark == _OPENS else "card"}" '
            f'cx="{number(box.cx)}" cy="{number(box.cy)}" r="7" fill="{INK}"/>'
        )
    for state in State:
        body.append(_state(state, drawing.boxes[state], labels))
    view = drawing.view
    x, y = view.x + 16, view.bottom + 18
    body += captions
    body.append(
        f'<g data-legend="deadline"><path d="M{number(x)},{number(y)} h36" stroke="{DEADLINE}" '
        f'stroke-width="1.6" stroke-dasharray="7 4" marker-end="url(#{_ID}-deadline)"/>'
        + _text(x + 44, y, labels.channel(Channel.SYSTEM), anchor="start", fill=DEADLINE)
        + "</g>"
    )
    desc = "; ".join(_said(edge, labels) for edge in edges)
    return _svg("workflow", Box(view.x, view.y, view.width, view.height + 30), title, desc, body)


def _state(state: State, box: Box, labels: Labels) -> str:
    over = state in definition.ENDED
    frame = _rect(
        box,
        ENDED if over else BACKGROUND,
        f' rx="8" stroke="{INK}" stroke-width="1.4" data-surface="node"',
    )
    if over:
        inner = Box(box.x + 3, box.y + 3, box.width - 6, box.height - 6)
        frame += _rect(inner, "none", f' rx="6" stroke="{INK}" stroke-width="1"')
    return (
        f'<g data-state="{state}" data-ended="{str(over).lower()}">{frame}'
        f"{_text(box.cx, box.cy, labels.state(state), size=_NODE_TEXT)}</g>"
    )


def _said(edge: _Edge, labels: Labels) -> str:
    """A transition in words, for the description: ``from: event → to``."""
    step = f"{labels.event(edge.event)} → {labels.state(edge.dest)}"
    if edge.deadline:
        step += f" ({labels.channel(Channel.SYSTEM)})"
    return step if edge.source is None else f"{labels.state(edge.source)}: {step}"


def nice_ticks(most: int) -> list[int]:
    """Axis values from 0 to at least ``most`` in steps of 1, 2 or 5 times a power of ten,
    seven ticks at most."""
    if most <= 0:
        return [0, 1]
    power = 10 ** max(len(str(most)) - 2, 0)
    step = next(s * p for p in (power, power * 10) for s in (1, 2, 5) if s * p * 6 >= most)
    return list(range(0, -(-most // step) * step + 1, step))


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    outline, filled = _SHAPES[shape]
    return (
        f'<path transform="translate({number(x)} {number(y)})" d="{outline}" '
        f'fill="{colour if filled else BACKGROUND}" stroke="{colour}" stroke-width="1.8"/>'
    )


_WIDTH: Final = 720.0
_PLOT: Final = Box(52.0, 14.0, _WIDTH - 72.0, 220.0)


def activity_svg(
    days: Sequence[date],
    counts: Mapping[Channel, Sequence[int]],
    labels: Labels,
    *,
    title: str,
    nothing: str = "0",
) -> str:
    """Entries per channel per day as lines, each channel its own colour, dashes and
    marker, named in a legend; with no entry at all, the axes and ``nothing`` (the page's
    words for "nothing in this period"). More than ``MOST_DAYS`` days is refused."""
    if len(days) > MOST_DAYS:
        raise ValueError(f"an activity chart draws {MOST_DAYS} days at most, not {len(days)}")
    if any(later <= earlier for earlier, later in itertools.pairwise(days)):
        raise ValueError("the days of an activity chart must rise, each day once")
    series = [(channel, list(counts[channel])) for channel in Channel if channel in counts]
    for channel, values in series:
        if len(values) != len(days):
            raise ValueError(f"{channel} has {len(values)} counts for {len(days)} days")
        if any(value < 0 for value in values):
            raise ValueError(f"{channel} has a negative count")
    most = max((max(values, default=0) for _, values in series), default=0)
    ticks = nice_ticks(most)
    body = _axes(days, ticks)
    legend: list[str] = []
    bottom = _PLOT.bottom + 40
    if most == 0:
        body.append(_text(_PLOT.cx, _PLOT.cy, nothing, size=16, data=' data-nothing="true"'))
    else:
        every = max(1, math.ceil(len(days) / 40))
        for channel, values in series:
            body.append(_line(channel, days, values, ticks[-1], every, labels))
        legend, bottom = _legend([channel for channel, _ in series], labels, _PLOT.bottom + 44)
    period = f"{days[0].isoformat()}/{days[-1].isoformat()}: " if days else ""
    totals = "; ".join(f"{labels.channel(c)}: {sum(v)}" for c, v in series) or nothing
    view = Box(0.0, 0.0, _WIDTH, bottom + 8)
    return _svg("activity", view, title, period + totals, body + legend)


def _x(days: Sequence[date], day: date) -> float:
    """Where ``day`` stands across the plot: by date, so a missing day leaves its gap."""
    if len(days) == 1:
        return _PLOT.cx
    return _PLOT.x + (day - days[0]).days / (days[-1] - days[0]).days * _PLOT.width


def _y(value: int, top: int) -> float:
    return _PLOT.bottom - value / top * _PLOT.height


def _line(
    channel: Channel,
    days: Sequence[date],
    values: Sequence[int],
    top: int,
    every: int,
    labels: Labels,
) -> str:
    """One channel's line, a marker on every ``every``-th day (and the last) telling its
    count when pointed at."""
    colour, dash, shape = SERIES[channel]
    word = labels.channel(channel)
    points = " ".join(
        f"{number(_x(days, d))},{number(_y(v, top))}" for d, v in zip(days, values, strict=True)
    )
    marks = "".join(
        f"<g><title>{escaped(f'{d.isoformat()} {word}: {v}')}</title>"
        f"{_marker(shape, _x(days, d), _y(v, top), colour)}</g>"
        for i, (d, v) in enumerate(zip(days, values, strict=True))
        if i % every == 0 or i == len(days) - 1
    )
    dashes = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<g data-channel="{channel}" data-total="{sum(values)}">'
        f"<title>{escaped(f'{word}: {sum(values)}')}</title>"
        f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dashes}/>'
        f"{marks}</g>"
    )


def _axes(days: Sequence[date], ticks: Sequence[int]) -> list[str]:
    """The axes: counts up the side, six dates at most along the bottom."""
    plot = _PLOT
    parts = [
        f'<path data-axis="counts" d="M{number(plot.x)},{number(plot.y)} V{number(plot.bottom)} '
        f'H{number(plot.right)}" fill="none" stroke="{MUTED}" stroke-width="1"/>'
    ]
    for value in ticks:
        y = _y(value, ticks[-1])
        parts.append(
            f'<path d="M{number(plot.x - 5)},{number(y)} h5" stroke="{MUTED}" stroke-width="1"/>'
            + _text(plot.x - 8, y, str(value), anchor="end", data=' data-tick="count"')
        )
    shown = sorted({round(k * (len(days) - 1) / 5) for k in range(6)}) if days else []
    for index in shown:
        x = _x(days, days[index])
        anchor = "middle"
        if len(days) > 1 and index in {0, len(days) - 1}:
            anchor = "start" if index == 0 else "end"
        parts.append(
            f'<path d="M{number(x)},{number(plot.bottom)} v5" stroke="{MUTED}" stroke-width="1"/>'
            + _text(
                x, plot.bottom + 16, days[index].isoformat(), anchor=anchor, data=' data-tick="day"'
            )
        )
    return parts


def _legend(channels: Sequence[Channel], labels: Labels, top: float) -> tuple[list[str], float]:
    """One entry a channel, in rows across the chart; and where the legend ends."""
    parts, x, y = [], _PLOT.x, top
    for channel in channels:
        colour, dash, shape = SERIES[channel]
        word = labels.channel(channel)
        width = 60 + text_width(word, _TEXT)
        if x + width > _WIDTH - 8 and x > _PLOT.x:
            x, y = _PLOT.x, y + 22
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<g data-legend="{channel}"><path d="M{number(x)},{number(y)} h32" '
            f'stroke="{colour}" stroke-width="2"{dashes}/>'
            f"{_marker(shape, x + 16, y, colour)}{_text(x + 40, y, word, anchor='start')}</g>"
        )
        x += width
    return parts, y + 14


def bars_svg(rows: Sequence[tuple[str, int]], *, title: str, nothing: str = "0") -> str:
    """One horizontal bar a row, its label before it and its count after it; a label too
    long is cut with an ellipsis (whole in the bar's tooltip and in the description).
    With no row, ``nothing``; more than ``MOST_ROWS`` rows is refused."""
    if len(rows) > MOST_ROWS:
        raise ValueError(f"a bar chart draws {MOST_ROWS} rows at most, not {len(rows)}")
    if any(count < 0 for _, count in rows):
        raise ValueError("a bar chart counts from zero")
    width, pitch = 640.0, 26.0
    column = min(max((text_width(label, _TEXT) for label, _ in rows), default=0.0), 220.0)
    most = max((count for _, count in rows), default=0)
    start = 18 + column
    length = width - start - text_width(str(most), _TEXT) - 20
    body = []
    for index, (label, count) in enumerate(rows):
        y = 8 + index * pitch + pitch / 2
        bar = Box(start, y - pitch / 2 + 4, max(count / most * length if most else 0.0, 1.0), 18)
        body.append(
            f'<g data-row="{index}" data-count="{count}">'
            f"<title>{escaped(f'{label}: {count}')}</title>"
            + _text(start - 8, y, _fitted(label, column), anchor="end")
            + _rect(bar, BAR)
            + _text(bar.right + 6, y, str(count), anchor="start")
            + "</g>"
        )
    if not rows:
        body.append(_text(width / 2, 34, nothing, size=16, data=' data-nothing="true"'))
    view = Box(0.0, 0.0, width, 16 + max(len(rows), 2) * pitch)
    desc = "; ".join(f"{label}: {count}" for label, count in rows) or nothing
    return _svg("bars", view, title, desc, body)


def _fitted(label: str, width: float) -> str:
    """``label``, cut with an ellipsis to fit ``width``."""
    if text_width(label, _TEXT) <= width:
        return label
    cut = label
    while cut and text_width(f"{cut}…", _TEXT) > width:
        cut = cut[:-1]
    return f"{cut}…"
