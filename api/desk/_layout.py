"""A layered drawing of a small directed graph, computed on the server so the desk's
lifecycle picture needs no script and no layout library.

Layers run top to bottom, by shortest distance from the first node; the nodes named
``last`` (a lifecycle's ended states) share a final layer, so every edge into them points
down, and each entry (a start mark) sits a layer above what it points to. Within a layer,
nodes are ordered by the barycentre of their neighbours in the layer above, then placed
under those neighbours as far as their widths allow. Edges are routed by their reach:

* one layer down or up: a curve between facing sides;
* within a layer: an arc below (rightwards) or above (leftwards) the layer;
* further: along a lane beside the layers, the edges into one node that share a
  ``bundle`` key sharing one lane (a bus, as a hand-drawn diagram shows "from any state");
* to itself: a loop on the node's outer side.

Each label takes the first of its candidate places that overlaps no node, no arrowhead,
no lane and no label placed before it (else the one that overlaps least). The same graph
gives the same drawing, to the byte.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

Point = tuple[float, float]
Side = Literal["left", "right"]
Face = Literal["top", "bottom"]
Track = tuple[object, ...]

ROW_GAP: Final = 92.0
"""The height between two layers, before their tracks."""
TRACK: Final = 13.0
"""The height each horizontal run (an arc's, a lane's) adds to its gap."""
NODE_GAP: Final = 64.0
LANE_GAP: Final = 16.0
LOOP: Final = 34.0
CORNER: Final = 7.0
MARGIN: Final = 12.0
_LANE: Final = "\0lane"


@dataclass(frozen=True, slots=True)
class Node:
    """A node to draw, as big as its text needs."""

    key: str
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class Link:
    """An edge, its label's size, and the key the links into one node share a lane by."""

    source: str
    dest: str
    label: tuple[float, float]
    bundle: str


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle: ``x``, ``y`` its top left corner."""

    x: float
    y: float
    width: float
    height: float

    @property
    def cx(self) -> float:
        return self.x + self.width / 2

    @property
    def cy(self) -> float:
        return self.y + self.height / 2

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    def overlap(self, other: Box) -> float:
        """The area this box shares with ``other``."""
        across = min(self.right, other.right) - max(self.x, other.x)
        down = min(self.bottom, other.bottom) - max(self.y, other.y)
        return max(across, 0.0) * max(down, 0.0)


@dataclass(frozen=True, slots=True)
class Route:
    """A link's path (SVG path data) and its label's centre, unless its lane's other
    link shows it."""

    d: str
    label: Point | None


@dataclass(frozen=True, slots=True)
class Drawing:
    """Where every node and every link went, and the box that holds them all."""

    boxes: Mapping[str, Box]
    routes: tuple[Route, ...]
    view: Box


def layered(
    nodes: Sequence[Node],
    links: Sequence[Link],
    *,
    first: str,
    entries: frozenset[str] = frozenset(),
    last: frozenset[str] = frozenset(),
) -> Drawing:
    """The drawing of ``links`` between ``nodes``, in the order given."""
    layer = _layers(nodes, links, first, entries, last)
    return _Plan(nodes, links, _order(nodes, links, layer, entries), entries).draw()


def _layers(
    nodes: Sequence[Node],
    links: Sequence[Link],
    first: str,
    entries: frozenset[str],
    last: frozenset[str],
) -> dict[str, int]:
    """Each node's layer: its shortest distance from ``first``, ``last`` after them all."""
    distance = {first: 0}
    frontier = [first]
    while frontier:
        reached = []
        for key, link in itertools.product(frontier, links):
            if link.source == key and link.dest not in distance.keys() | last | entries:
                distance[link.dest] = distance[key] + 1
                reached.append(link.dest)
        frontier = reached
    deepest = max(distance.values())
    layer = {
        node.key: deepest + 1 if node.key in last else distance.get(node.key, deepest)
        for node in nodes
        if node.key not in entries
    }
    for key in sorted(entries):
        layer[key] = min((layer[link.dest] for link in links if link.source == key), default=0) - 1
    return layer


def _order(
    nodes: Sequence[Node], links: Sequence[Link], layer: Mapping[str, int], entries: frozenset[str]
) -> list[list[str]]:
    """Each layer's nodes, left to right: by the barycentre of their neighbours in the layer
    above (ties in the order given); then each entry over what it points to."""
    low = min(layer.values())
    rows: list[list[str]] = [[] for _ in range(max(layer.values()) - low + 1)]
    for node in nodes:
        rows[layer[node.key] - low].append(node.key)
    for above, row in itertools.pairwise(rows):
        index = {key: i for i, key in enumerate(above)}

        def weight(
            key: str, index: dict[str, int] = index, mid: float = (len(above) - 1) / 2
        ) -> float:
            near = [
                index[link.source] for link in links if link.dest == key and link.source in index
            ]
            near += [
                index[link.dest] for link in links if link.source == key and link.dest in index
            ]
            return sum(near) / len(near) if near else mid

        row.sort(key=weight)
    for row, below in itertools.pairwise(rows):
        share = {key: _share(i, len(row)) for i, key in enumerate(row)}
        for key in entries & set(row):
            near = [
                _share(below.index(link.dest), len(below)) for link in links if link.source == key
            ]
            share[key] = sum(near) / len(near) if near else share[key]
        row.sort(key=share.__getitem__)
    return rows


def _share(index: int, count: int) -> float:
    """How far along its row a node stands, from 0 to 1."""
    return 0.5 if count == 1 else index / (count - 1)


class _Plan:
    """One drawing under way: each link's kind and tracks, the nodes' places, the routes."""

    def __init__(
        self,
        nodes: Sequence[Node],
        links: Sequence[Link],
        rows: list[list[str]],
        entries: frozenset[str],
    ) -> None:
        self.nodes = {node.key: node for node in nodes}
        self.links = links
        self.rows = rows
        self.entries = entries
        self.row = {key: r for r, row in enumerate(rows) for key in row}
        self.slot = {key: i for row in rows for i, key in enumerate(row)}
        self.below: list[list[Track]] = [[] for _ in rows]
        self.above: list[list[Track]] = [[] for _ in rows]
        self.lane: dict[tuple[str, str], tuple[Side, int]] = {}
        self.kinds = [self._kind(link) for link in links]
        self._plan_tracks()
        self.boxes = self._place()

    def _kind(self, link: Link) -> str:
        reach = self.row[link.dest] - self.row[link.source]
        if link.source == link.dest:
            return "loop"
        return {1: "curve", -1: "curve", 0: "arc"}.get(reach, "lane")

    def down(self, link: Link) -> bool:
        return self.row[link.dest] > self.row[link.source]

    def extreme(self, key: str, side: Side) -> bool:
        return self.rows[self.row[key]][0 if side == "left" else -1] == key

    def _plan_tracks(self) -> None:
        """A track in its gap for each arc (the narrower nearer its layer) and each lane
        run; a lane for each bundle, on its destination's side, the shorter ones inside."""
        arcs = sorted(
            (abs(self.slot[link.source] - self.slot[link.dest]), i)
            for i, link in enumerate(self.links)
            if self.kinds[i] == "arc"
        )
        for _, i in arcs:
            link = self.links[i]
            rightwards = self.slot[link.dest] > self.slot[link.source]
            (self.below if rightwards else self.above)[self.row[link.source]].append(("arc", i))
        spans: dict[tuple[str, str], set[int]] = {}
        for i, link in enumerate(self.links):
            if self.kinds[i] != "lane":
                continue
            bundle = (link.dest, link.bundle)
            spans.setdefault(bundle, set()).update((self.row[link.source], self.row[link.dest]))
            side = self._side(link.dest)
            down = self.down(link)
            if not self.extreme(link.source, side):
                (self.below if down else self.above)[self.row[link.source]].append(("out", i))
            into = ("in", *bundle, down)
            tracks = (self.above if down else self.below)[self.row[link.dest]]
            if not self.extreme(link.dest, side) and into not in tracks:
                tracks.append(into)
        for side in ("left", "right"):
            mine = sorted(
                (max(s) - min(s), b) for b, s in spans.items() if self._side(b[0]) == side
            )
            for index, (_, bundle) in enumerate(mine):
                self.lane[bundle] = (side, index)

    def _side(self, key: str) -> Side:
        return "left" if self.slot[key] < (len(self.rows[self.row[key]]) - 1) / 2 else "right"

    def _place(self) -> dict[str, Box]:
        """Rows top to bottom, each node under its neighbours above, pushed apart; then
        each entry over what it points to, the rest of its row kept where it was."""
        boxes: dict[str, Box] = {}
        rows, tops, top = self.rows, [], 0.0
        for r, row in enumerate(rows):
            tops.append(top)
            self._pack(row, [self._over(key, boxes) for key in row], top, boxes, set(row))
            tracks = len(self.below[r]) + (len(self.above[r + 1]) if r + 1 < len(rows) else 0)
            top += max(self.nodes[key].height for key in row) + ROW_GAP + TRACK * tracks
        for r, row in enumerate(self.rows):
            if self.entries & set(row):
                wanted = [self._under(key, boxes) for key in row]
                self._pack(row, wanted, tops[r], boxes, set(row) - self.entries)
        return boxes

    def _pack(
        self, row: list[str], wanted: list[float], top: float, boxes: dict[str, Box], held: set[str]
    ) -> None:
        """``row`` at the ``wanted`` centres pushed apart rightwards, then shifted so the
        ``held`` nodes move least."""
        height = max(self.nodes[key].height for key in row)
        xs: list[float] = []
        for key, want in zip(row, wanted, strict=True):
            if xs:
                width = self.nodes[row[len(xs) - 1]].width + self.nodes[key].width
                want = max(want, xs[-1] + width / 2 + NODE_GAP)
            xs.append(want)
        moved = [w - x for key, w, x in zip(row, wanted, xs, strict=True) if key in held]
        shift = sum(moved) / len(moved) if moved else 0.0
        for key, x in zip(row, xs, strict=True):
            node = self.nodes[key]
            y = top + (height - node.height) / 2
            boxes[key] = Box(x + shift - node.width / 2, y, node.width, node.height)

    def _over(self, key: str, boxes: Mapping[str, Box]) -> float:
        """Where ``key`` would stand: under its neighbours in the row above, entries aside."""
        above = self.row[key] - 1
        near = [
            boxes[link.source].cx
            for link in self.links
            if link.dest == key
            and self.row[link.source] == above
            and link.source not in self.entries
        ]
        return sum(near) / len(near) if near else 0.0

    def _under(self, key: str, boxes: Mapping[str, Box]) -> float:
        """Where ``key`` would stand: an entry over what it points to, others where they are."""
        if key not in self.entries:
            return boxes[key].cx
        near = [boxes[link.dest].cx for link in self.links if link.source == key]
        return sum(near) / len(near) if near else boxes[key].cx

    def _lane_x(self, bundle: tuple[str, str]) -> float:
        side, index = self.lane[bundle]
        loops = [link for i, link in enumerate(self.links) if self.kinds[i] == "loop"]
        room = max(
            (LOOP + link.label[0] + 8 for link in loops if self._loop_side(link.source) == side),
            default=0.0,
        )
        if side == "left":
            return min(b.x for b in self.boxes.values()) - room - LANE_GAP * (index + 1)
        return max(b.right for b in self.boxes.values()) + room + LANE_GAP * (index + 1)

    def _loop_side(self, key: str) -> Side:
        return "left" if self.extreme(key, "left") and not self.extreme(key, "right") else "right"

    def _track(self, row: int, track: Track, below: bool) -> float:
        """The height of ``track`` in the gap below or above ``row``."""
        keys = self.rows[row]
        if below:
            edge = max(self.boxes[key].bottom for key in keys)
            return edge + 14 + TRACK * self.below[row].index(track)
        return min(self.boxes[key].y for key in keys) - 14 - TRACK * self.above[row].index(track)

    def draw(self) -> Drawing:
        ports = self._ports()
        routes = [self._route(i, link, ports) for i, link in enumerate(self.links)]
        placed = list(self.boxes.values())
        for i, (points, _) in enumerate(routes):
            if self.kinds[i] == "lane":
                placed += [
                    Box(a[0] - 1, min(a[1], b[1]), 2, abs(b[1] - a[1]))
                    for a, b in itertools.pairwise(points)
                    if a[0] == b[0]
                ]
            placed.append(Box(points[-1][0] - 6, points[-1][1] - 6, 12, 12))
        labels: list[Point | None] = []
        shown: set[tuple[str, str]] = set()
        for i, (link, (_, candidates)) in enumerate(zip(self.links, routes, strict=True)):
            bundle = (link.dest, link.bundle)
            if self.kinds[i] == "lane" and bundle in shown:
                labels.append(None)
                continue
            shown |= {bundle} if self.kinds[i] == "lane" else set()
            spot = _best(candidates, link.label, placed)
            placed.append(_around(spot, link.label))
            labels.append(spot)
        out = tuple(
            Route(_path(points, curved=self.kinds[i] in {"curve", "loop"}), label)
            for i, ((points, _), label) in enumerate(zip(routes, labels, strict=True))
        )
        points = [p for route, _ in routes for p in route]
        return Drawing(self.boxes, out, _bounds(placed, points))

    def _ends(self, i: int, link: Link) -> tuple[tuple[str, Face, str] | None, ...]:
        """Where link ``i`` leaves and enters a node's top or bottom, and what lies the
        other way (``None``: at a side's middle)."""
        kind, down = self.kinds[i], self.down(link)
        away: Face = "bottom" if down else "top"
        toward: Face = "top" if down else "bottom"
        if kind == "curve":
            return (link.source, away, link.dest), (link.dest, toward, link.source)
        if kind == "arc":
            face: Face = "bottom" if self.slot[link.dest] > self.slot[link.source] else "top"
            return (link.source, face, link.dest), (link.dest, face, link.source)
        if kind == "lane":
            side = self.lane[(link.dest, link.bundle)][0]
            lane = f"{_LANE}-{side}"
            start = None if self.extreme(link.source, side) else (link.source, away, lane)
            end = None if self.extreme(link.dest, side) else (link.dest, toward, lane)
            return start, end
        return None, None

    def _ports(self) -> dict[tuple[int, int], Point]:
        """Each end's point: the ends on one face spread along it, ordered by where they go."""
        faces: dict[tuple[str, Face], list[tuple[float, int, int]]] = {}
        for i, link in enumerate(self.links):
            for end, spot in enumerate(self._ends(i, link)):
                if spot is not None:
                    key, face, towards = spot
                    faces.setdefault((key, face), []).append((self._x(towards), i, end))
        points: dict[tuple[int, int], Point] = {}
        for (key, face), held in sorted(faces.items()):
            box = self.boxes[key]
            y = box.y if face == "top" else box.bottom
            for n, (_, i, end) in enumerate(sorted(held)):
                points[(i, end)] = (box.cx + box.width * 0.7 * ((n + 1) / (len(held) + 1) - 0.5), y)
        return points

    def _x(self, towards: str) -> float:
        if towards.startswith(_LANE):
            return -math.inf if towards.endswith("left") else math.inf
        return self.boxes[towards].cx

    def _route(
        self, i: int, link: Link, ports: Mapping[tuple[int, int], Point]
    ) -> tuple[list[Point], list[Point]]:
        """The link's points (a curve's four, or a polyline's), and its label's candidates."""
        source = self.boxes[link.source]
        if self.kinds[i] == "curve":
            a, b = ports[(i, 0)], ports[(i, 1)]
            bend = (b[1] - a[1]) / 2
            points = [a, (a[0], a[1] + bend), (b[0], b[1] - bend), b]
            return points, [_bezier(points, t) for t in (0.5, 0.36, 0.64, 0.24, 0.76)]
        if self.kinds[i] == "loop":
            sign = -1.0 if self._loop_side(link.source) == "left" else 1.0
            edge = source.x if sign < 0 else source.right
            out = edge + sign * LOOP
            top, bottom = source.cy - source.height / 4, source.cy + source.height / 4
            points = [(edge, top), (out, top - 14), (out, bottom + 14), (edge, bottom)]
            inward, lift = out - sign * link.label[0] / 2, link.label[1] / 2 + 4
            beside = (out + sign * (link.label[0] / 2 + 4), source.cy)
            return points, [beside, (inward, source.y - lift), (inward, source.bottom + lift)]
        if self.kinds[i] == "arc":
            a, b = ports[(i, 0)], ports[(i, 1)]
            y = self._track(self.row[link.source], ("arc", i), below=a[1] >= source.bottom)
            points = [a, (a[0], y), (b[0], y), b]
            return points, [((a[0] * (3 - k) + b[0] * k) / 3, y) for k in (1.5, 1, 2)]
        return self._lane_route(i, link, ports)

    def _lane_route(
        self, i: int, link: Link, ports: Mapping[tuple[int, int], Point]
    ) -> tuple[list[Point], list[Point]]:
        source, dest = self.boxes[link.source], self.boxes[link.dest]
        bundle = (link.dest, link.bundle)
        side = self.lane[bundle][0]
        x, down = self._lane_x(bundle), self.down(link)
        if self.extreme(link.source, side):
            points = [(source.x if side == "left" else source.right, source.cy), (x, source.cy)]
        else:
            a = ports[(i, 0)]
            y = self._track(self.row[link.source], ("out", i), below=down)
            points = [a, (a[0], y), (x, y)]
        if self.extreme(link.dest, side):
            points += [(x, dest.cy), (dest.x if side == "left" else dest.right, dest.cy)]
        else:
            b = ports[(i, 1)]
            y = self._track(self.row[link.dest], ("in", *bundle, down), below=not down)
            points += [(x, y), (b[0], y), b]
        trunk = [p[1] for p in points if p[0] == x]
        offset = (link.label[0] / 2 + 5) * (1 if side == "left" else -1)
        gaps = [
            (max(self.boxes[k].bottom for k in row) + min(self.boxes[k].y for k in after)) / 2
            for row, after in itertools.pairwise(self.rows)
        ]
        spots = [(x + offset, y) for y in reversed(gaps) if min(trunk) < y < max(trunk)]
        return points, spots or [(x + offset, sum(trunk) / len(trunk))]


def _bezier(points: Sequence[Point], t: float) -> Point:
    weights = ((1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t * t, t**3)
    return (
        sum(w * p[0] for w, p in zip(weights, points, strict=True)),
        sum(w * p[1] for w, p in zip(weights, points, strict=True)),
    )


def _around(centre: Point, size: tuple[float, float]) -> Box:
    return Box(centre[0] - size[0] / 2, centre[1] - size[1] / 2, size[0], size[1])


def _best(candidates: Sequence[Point], size: tuple[float, float], placed: Sequence[Box]) -> Point:
    """The first candidate that overlaps nothing placed, else the one that overlaps least."""
    grown = (size[0] + 4, size[1] + 2)
    costs = [sum(_around(c, grown).overlap(box) for box in placed) for c in candidates]
    return candidates[costs.index(min(costs))]


def _bounds(boxes: Iterable[Box], points: Iterable[Point]) -> Box:
    xs: list[float] = []
    ys: list[float] = []
    for box in boxes:
        xs += [box.x, box.right]
        ys += [box.y, box.bottom]
    for x, y in points:
        xs.append(x)
        ys.append(y)
    left, top = min(xs) - MARGIN, min(ys) - MARGIN
    return Box(left, top, max(xs) + MARGIN - left, max(ys) + MARGIN - top)


def number(value: float) -> str:
    """A coordinate as SVG text: one decimal at most, the same bytes for the same value."""
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _at(point: Point) -> str:
    return f"{number(point[0])},{number(point[1])}"


def _path(points: Sequence[Point], *, curved: bool) -> str:
    """SVG path data: a cubic curve through four points, or a polyline with round corners."""
    if curved:
        a, b, c, d = points
        return f"M{_at(a)} C{_at(b)} {_at(c)} {_at(d)}"
    parts = [f"M{_at(points[0])}"]
    for before, corner, after in zip(points, points[1:], points[2:], strict=False):
        start, end = _towards(corner, before), _towards(corner, after)
        parts.append(f"L{_at(start)} Q{_at(corner)} {_at(end)}")
    parts.append(f"L{_at(points[-1])}")
    return " ".join(parts)


def _towards(start: Point, end: Point) -> Point:
    """The point a corner's radius from ``start`` towards ``end``, at most half way."""
    length = math.dist(start, end)
    if length == 0:
        return start
    step = min(CORNER, length / 2) / length
    return (start[0] + (end[0] - start[0]) * step, start[1] + (end[1] - start[1]) * step)
