"""The desk's pictures: read back from the SVG they are, never from what made them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import replace
from datetime import date, timedelta
from itertools import pairwise

import pytest

from api.desk import pictures
from api.desk.pictures import (
    MOST_DAYS,
    MOST_ROWS,
    activity_svg,
    bars_svg,
    contrast,
    nice_ticks,
    text_width,
    workflow_svg,
)
from workflow import definition
from workflow.definition import Transition
from workflow.states import Channel, Event, State

SVG = "{http://www.w3.org/2000/svg}"
MARKUP = "<script>alert(1)</script> & \"quoted\" 'single'"


class Plain:
    """Each word its value, as the tests read them back."""

    def state(self, state):
        return f"state {state}"

    def event(self, event):
        return f"event {event}"

    def channel(self, channel):
        return f"channel {channel}"


class Wide:
    """Words in Chinese characters, a full em each."""

    def state(self, state):
        return "状态" * (1 + len(state) // 4)

    def event(self, event):
        return "事件" * (1 + len(event) // 5)

    def channel(self, channel):
        return "渠道" * (1 + len(channel) // 5)


class Marked:
    """Every word carries markup and quotes."""

    def state(self, state):
        return f"{MARKUP} {state}"

    def event(self, event):
        return f"{MARKUP} {event}"

    def channel(self, channel):
        return f"{MARKUP} {channel}"


def parsed(svg):
    return ET.fromstring(svg)


def tagged(root, name):
    return list(root.iter(f"{SVG}{name}"))


def groups(root, attribute):
    return [g for g in tagged(root, "g") if g.get(attribute) is not None]


def days(count, start=date(2026, 3, 1)):
    return [start + timedelta(days=n) for n in range(count)]


def every_picture(labels):
    span = days(14)
    counts = {c: [(n * 7 + i) % 11 for n in range(14)] for i, c in enumerate(Channel)}
    return {
        "workflow": workflow_svg(labels, title=f"{MARKUP} lifecycle"),
        "activity": activity_svg(span, counts, labels, title=f"{MARKUP} activity"),
        "bars": bars_svg(
            [(labels.channel(c), i * 3) for i, c in enumerate(Channel)], title=f"{MARKUP} bars"
        ),
    }


PICTURES = ["workflow", "activity", "bars"]


def state_boxes(root):
    boxes = {}
    for group in groups(root, "data-state"):
        rect = group.find(f"{SVG}rect")
        boxes[State(group.get("data-state"))] = tuple(
            float(rect.get(k)) for k in ("x", "y", "width", "height")
        )
    return boxes


def overlap(a, b):
    across = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    down = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(across, 0) * max(down, 0)


def distances_from_applied():
    """Shortest distances over the definition's transitions, worked out here afresh."""
    distance, frontier = {State.APPLIED: 0}, [State.APPLIED]
    while frontier:
        step = []
        for t in definition.TRANSITIONS:
            if t.source in frontier and t.dest not in distance and t.dest not in definition.ENDED:
                distance[t.dest] = distance[t.source] + 1
                step.append(t.dest)
        frontier = step
    return distance


class TestTheDiagram:
    """The lifecycle picture draws every state and transition the definition holds."""

    def test_every_state_is_drawn_once(self):
        drawn = [
            g.get("data-state")
            for g in groups(parsed(workflow_svg(Plain(), title="t")), "data-state")
        ]
        assert Counter(drawn) == Counter(str(s) for s in State)

    def test_every_transition_is_an_arrow(self):
        root = parsed(workflow_svg(Plain(), title="t"))
        drawn = Counter(
            (g.get("data-source"), g.get("data-event"), g.get("data-dest"))
            for g in groups(root, "data-event")
            if g.get("data-opens") is None
        )
        defined = Counter(
            (None if t.source is None else str(t.source), str(t.event), str(t.dest))
            for t in definition.TRANSITIONS
        )
        assert drawn == defined

    def test_the_replacement_opens_where_the_definition_says(self):
        root = parsed(workflow_svg(Plain(), title="t"))
        opens = [g for g in groups(root, "data-event") if g.get("data-opens") == "replacement"]
        assert [(g.get("data-event"), g.get("data-dest")) for g in opens] == [
            (str(Event.REISSUE), str(definition.REPLACEMENT_OPENS))
        ]

    def test_a_deadline_step_is_dashed_and_no_other(self):
        root = parsed(workflow_svg(Plain(), title="t"))
        due = {
            (str(t.source), str(t.event))
            for t in definition.TRANSITIONS
            for rule in definition.RULES
            if rule.due is not None
            and rule.event is t.event
            and (rule.only_from is None or t.source in rule.only_from)
        }
        assert due, "the definition has deadline steps"
        for group in groups(root, "data-event"):
            path = group.find(f"{SVG}path")
            deadline = (group.get("data-source"), group.get("data-event")) in due
            assert group.get("data-deadline") == str(deadline).lower()
            assert (path.get("stroke-dasharray") is not None) is deadline
            assert path.get("stroke") == (pictures.DEADLINE if deadline else pictures.INK)

    def test_the_ended_states_are_framed_twice(self):
        for group in groups(parsed(workflow_svg(Plain(), title="t")), "data-state"):
            ended = State(group.get("data-state")) in definition.ENDED
            assert group.get("data-ended") == str(ended).lower()
            assert len(group.findall(f"{SVG}rect")) == (2 if ended else 1)

    def test_a_new_transition_is_drawn_without_anyone_listing_it(self, monkeypatch):
        added = Transition(Event.RETURN, State.RETURNED, State.PRODUCED)
        monkeypatch.setattr(definition, "TRANSITIONS", (*definition.TRANSITIONS, added))
        root = parsed(workflow_svg(Plain(), title="t"))
        found = [
            g
            for g in groups(root, "data-event")
            if (g.get("data-source"), g.get("data-event"), g.get("data-dest"))
            == ("returned", "return", "produced")
        ]
        assert len(found) == 1

    def test_a_removed_transition_is_no_longer_drawn(self, monkeypatch):
        kept = tuple(t for t in definition.TRANSITIONS if t.event is not Event.RESUBMIT)
        monkeypatch.setattr(definition, "TRANSITIONS", kept)
        root = parsed(workflow_svg(Plain(), title="t"))
        assert "resubmit" not in {g.get("data-event") for g in groups(root, "data-event")}

    def test_without_a_reissue_no_replacement_opens(self, monkeypatch):
        kept = tuple(t for t in definition.TRANSITIONS if t.event is not Event.REISSUE)
        monkeypatch.setattr(definition, "TRANSITIONS", kept)
        root = parsed(workflow_svg(Plain(), title="t"))
        assert not [g for g in groups(root, "data-event") if g.get("data-opens")]
        assert [c.get("data-start") for c in tagged(root, "circle")] == ["card"]

    def test_a_state_ended_by_the_definition_is_marked_ended(self, monkeypatch):
        monkeypatch.setattr(definition, "ENDED", definition.ENDED | {State.REJECTED})
        root = parsed(workflow_svg(Plain(), title="t"))
        ended = {
            g.get("data-state") for g in groups(root, "data-state") if g.get("data-ended") == "true"
        }
        assert ended == {str(s) for s in definition.ENDED}

    def test_a_step_the_system_newly_takes_is_dashed(self, monkeypatch):
        rules = tuple(
            replace(r, due=definition.Window.COLLECTION) if r.event is Event.REVIEW else r
            for r in definition.RULES
        )
        monkeypatch.setattr(definition, "RULES", rules)
        root = parsed(workflow_svg(Plain(), title="t"))
        review = [g for g in groups(root, "data-event") if g.get("data-event") == "review"]
        assert [g.get("data-deadline") for g in review] == ["true"]

    def test_every_state_and_event_is_named_in_its_own_words(self):
        root = parsed(workflow_svg(Plain(), title="t"))
        for group in groups(root, "data-state"):
            assert group.find(f"{SVG}text").text == f"state {group.get('data-state')}"
        texts = {t.text for t in tagged(root, "text")}
        assert {f"event {t.event}" for t in definition.TRANSITIONS} <= texts

    def test_each_arrow_tells_the_channels_that_take_it(self):
        root = parsed(workflow_svg(Plain(), title="t"))
        for group in groups(root, "data-event"):
            if group.get("data-event") == "return":
                assert group.find(f"{SVG}title").text == "event return: channel system"

    @pytest.mark.parametrize("labels", [Plain(), Wide()], ids=["latin", "wide"])
    def test_the_layers_follow_the_distance_from_applied(self, labels):
        boxes = state_boxes(parsed(workflow_svg(labels, title="t")))
        distance = distances_from_applied()
        tops = {state: box[1] + box[3] / 2 for state, box in boxes.items()}
        for one, other in pairwise(sorted(distance, key=distance.__getitem__)):
            if distance[one] == distance[other]:
                assert tops[one] == tops[other], (one, other)
            else:
                assert tops[one] < tops[other], (one, other)
        deepest = max(tops[s] for s in distance)
        assert all(tops[s] > deepest for s in definition.ENDED)

    @pytest.mark.parametrize("labels", [Plain(), Wide()], ids=["latin", "wide"])
    def test_nothing_covers_a_state_or_another_label(self, labels):
        root = parsed(workflow_svg(labels, title="t"))
        boxes = list(state_boxes(root).values())
        captions = [
            (
                float(t.get("x")) - text_width(t.text, float(t.get("font-size"))) / 2,
                float(t.get("y")) - 7,
                text_width(t.text, float(t.get("font-size"))),
                14,
            )
            for t in tagged(root, "text")
            if t.get("paint-order") == "stroke"
        ]
        assert len(captions) >= len({t.event for t in definition.TRANSITIONS})
        everything = boxes + captions
        for i, one in enumerate(everything):
            for other in everything[i + 1 :]:
                assert overlap(one, other) == 0, (one, other)

    def test_every_state_lies_within_the_picture(self):
        root = parsed(workflow_svg(Plain(), title="t"))
        left, top, width, height = (float(v) for v in root.get("viewBox").split())
        for x, y, w, h in state_boxes(root).values():
            assert left <= x
            assert x + w <= left + width
            assert top <= y
            assert y + h <= top + height

    def test_every_arrow_ends_in_an_arrowhead_the_picture_defines(self):
        root = parsed(workflow_svg(Plain(), title="t"))
        defined = {m.get("id") for m in tagged(root, "marker")}
        for group in groups(root, "data-event"):
            end = group.find(f"{SVG}path").get("marker-end")
            assert re.fullmatch(r"url\(#(.+)\)", end).group(1) in defined

    def test_the_description_tells_every_transition(self):
        desc = parsed(workflow_svg(Plain(), title="t")).find(f"{SVG}desc").text
        for t in definition.TRANSITIONS:
            told = f"event {t.event} → state {t.dest}"
            assert told in desc if t.source is None else f"state {t.source}: {told}" in desc


class TestEscaping:
    """What a picture shows is text: markup in a word or a title stays text."""

    @pytest.mark.parametrize("kind", PICTURES)
    def test_markup_is_escaped_and_read_back_whole(self, kind):
        svg = every_picture(Marked())[kind]
        assert "<script" not in svg
        root = parsed(svg)
        assert not [e for e in root.iter() if e.tag.split("}")[-1] in {"script", "foreignObject"}]
        assert root.find(f"{SVG}title").text.startswith(MARKUP)
        shown = [t.text for t in tagged(root, "text") if t.text and "alert" in t.text]
        assert shown
        assert all(MARKUP in text or text.endswith("…") for text in shown)

    def test_a_long_label_is_cut_but_whole_in_its_tooltip(self):
        root = parsed(bars_svg([(MARKUP * 4, 3)], title="t"))
        row = groups(root, "data-row")[0]
        assert row.find(f"{SVG}title").text == f"{MARKUP * 4}: 3"
        assert row.find(f"{SVG}text").text.endswith("…")

    def test_characters_xml_cannot_hold_are_replaced(self):
        svg = bars_svg([("a\x00b\x1bc\ufffe", 1)], title="t\x07")
        root = parsed(svg)
        assert groups(root, "data-row")[0].find(f"{SVG}title").text == "a\ufffdb\ufffdc\ufffd: 1"


class TestSelfContained:
    """A picture is one inline ``<svg role="img">``: named, described, and reaching out
    to nothing."""

    @pytest.mark.parametrize("kind", PICTURES)
    def test_it_is_named_and_described(self, kind):
        svg = every_picture(Plain())[kind]
        assert svg.startswith("<svg ")
        assert svg.endswith("</svg>")
        root = parsed(svg)
        assert root.get("role") == "img"
        assert root.get("width") == "100%"
        assert len(root.get("viewBox").split()) == 4
        title, desc = list(root)[:2]
        assert (title.tag, desc.tag) == (f"{SVG}title", f"{SVG}desc")
        assert root.get("aria-labelledby").split() == [title.get("id"), desc.get("id")]
        assert desc.text

    @pytest.mark.parametrize("kind", PICTURES)
    def test_nothing_reaches_out(self, kind):
        root = parsed(every_picture(Plain())[kind])
        ids = {e.get("id") for e in root.iter() if e.get("id")}
        for element in root.iter():
            assert element.tag.split("}")[-1] not in {"script", "image", "a", "style", "use"}
            for name, value in element.attrib.items():
                assert "href" not in name
                assert not name.startswith("on")
                assert "http" not in value or name == "xmlns"
                for target in re.findall(r"url\(([^)]*)\)", value):
                    assert target.startswith("#")
                    assert target[1:] in ids

    def test_two_pictures_on_one_page_share_no_id(self):
        page = [
            *every_picture(Plain()).values(),
            bars_svg([("channel", 3)], title="refusals per channel"),
            bars_svg([("key", 3)], title="refusals per key"),
        ]
        seen = Counter(e.get("id") for svg in page for e in parsed(svg).iter() if e.get("id"))
        assert seen
        assert max(seen.values()) == 1


class TestDeterminism:
    """The same input gives the same bytes."""

    @pytest.mark.parametrize("kind", PICTURES)
    def test_twice_the_same(self, kind):
        assert every_picture(Plain())[kind] == every_picture(Plain())[kind]

    def test_another_input_another_picture(self):
        one = activity_svg(days(2), {Channel.SYSTEM: [1, 2]}, Plain(), title="t")
        other = activity_svg(days(2), {Channel.SYSTEM: [2, 1]}, Plain(), title="t")
        assert one != other


def colours(root):
    """Every colour the picture paints, split into text's, surfaces' and the rest's."""
    text, surfaces, graphics = set(), set(), set()
    for element in root.iter():
        tag = element.tag.split("}")[-1]
        fill, stroke = element.get("fill"), element.get("stroke")
        if tag == "text":
            text.add(fill)
        elif element.get("data-surface"):
            surfaces.add(fill)
            graphics.add(stroke)
        else:
            graphics |= {fill, stroke}
    graphics -= {None, "none"}
    return text, surfaces, graphics - surfaces


class TestContrast:
    """Every colour a picture paints meets WCAG AA against what it is painted on."""

    def test_the_ratio_is_the_wcag_one(self):
        assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
        assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)
        assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
        assert contrast("#ffffff", "#767676") == pytest.approx(4.54, abs=0.01)

    @pytest.mark.parametrize("kind", PICTURES)
    def test_text_and_graphics_stand_out(self, kind):
        text, surfaces, graphics = colours(parsed(every_picture(Plain())[kind]))
        assert pictures.BACKGROUND in surfaces
        assert text
        assert graphics
        for surface in surfaces:
            for colour in text:
                assert contrast(colour, surface) >= 4.5, (colour, surface)
            for colour in graphics:
                assert contrast(colour, surface) >= 3.0, (colour, surface)

    def test_every_channel_is_drawn_in_a_colour_that_stands_out(self):
        root = parsed(every_picture(Plain())["activity"])
        drawn = {g.find(f"{SVG}polyline").get("stroke") for g in groups(root, "data-channel")}
        assert len(drawn) == len(Channel)
        assert all(contrast(colour, pictures.BACKGROUND) >= 3.0 for colour in drawn)


def activity(count, channels, labels=None, **kwargs):
    span = days(count)
    counts = {c: [(n * 3 + i) % 7 + 1 for n in range(count)] for i, c in enumerate(channels)}
    return span, counts, activity_svg(span, counts, labels or Plain(), title="t", **kwargs)


class TestActivity:
    """Entries per channel per day: one line and one legend entry a channel, its values
    where they belong, and an honest picture of nothing."""

    @pytest.mark.parametrize("count", [1, 2, 31, MOST_DAYS])
    @pytest.mark.parametrize("channels", [1, 3, len(Channel)])
    def test_one_line_and_one_legend_entry_a_channel(self, count, channels):
        _span, counts, svg = activity(count, list(Channel)[:channels])
        root = parsed(svg)
        lines = groups(root, "data-channel")
        assert [g.get("data-channel") for g in lines] == [str(c) for c in counts]
        assert [int(g.get("data-total")) for g in lines] == [sum(v) for v in counts.values()]
        for group in lines:
            assert len(group.find(f"{SVG}polyline").get("points").split()) == count
            assert 1 <= len(group.findall(f"{SVG}g")) <= 41
        legend = [g.get("data-legend") for g in groups(root, "data-legend")]
        assert legend == [str(c) for c in counts]
        assert {t.text for t in tagged(root, "text")} >= {f"channel {c}" for c in counts}

    def test_a_higher_count_is_drawn_higher(self):
        svg = activity_svg(days(3), {Channel.HOSPITAL: [0, 5, 10]}, Plain(), title="t")
        points = groups(parsed(svg), "data-channel")[0].find(f"{SVG}polyline").get("points")
        xs, ys = zip(*(map(float, p.split(",")) for p in points.split()), strict=True)
        assert xs[0] < xs[1] < xs[2]
        assert ys[0] > ys[1] > ys[2]

    def test_a_missing_day_leaves_its_gap(self):
        span = [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 5)]
        svg = activity_svg(span, {Channel.HOSPITAL: [1, 1, 1]}, Plain(), title="t")
        points = groups(parsed(svg), "data-channel")[0].find(f"{SVG}polyline").get("points")
        xs = [float(p.split(",")[0]) for p in points.split()]
        assert xs[2] - xs[1] == pytest.approx(3 * (xs[1] - xs[0]), abs=0.2)

    def test_the_axes_tell_counts_and_days(self):
        span, counts, svg = activity(31, [Channel.COMMUNITY])
        root = parsed(svg)
        counted = [int(t.text) for t in tagged(root, "text") if t.get("data-tick") == "count"]
        dated = [t.text for t in tagged(root, "text") if t.get("data-tick") == "day"]
        assert counted[0] == 0
        assert counted[-1] >= max(counts[Channel.COMMUNITY])
        assert dated[0] == span[0].isoformat()
        assert dated[-1] == span[-1].isoformat()
        assert 2 <= len(dated) <= 6
        assert set(dated) <= {d.isoformat() for d in span}

    def test_no_two_channels_share_a_dash_and_a_marker(self):
        root = parsed(activity(5, list(Channel))[2])
        looks = [
            (
                g.find(f"{SVG}polyline").get("stroke-dasharray"),
                g.find(f"{SVG}g/{SVG}path").get("d"),
                g.find(f"{SVG}g/{SVG}path").get("fill") == pictures.BACKGROUND,
            )
            for g in groups(root, "data-channel")
        ]
        assert len({(dash, shape) for dash, shape, _ in looks}) == len(Channel)
        assert len({(shape, hollow) for _, shape, hollow in looks}) == len(Channel)

    @pytest.mark.parametrize(
        ("count", "channels"), [(0, []), (0, [Channel.SYSTEM]), (3, []), (3, [Channel.SYSTEM])]
    )
    def test_nothing_in_the_period_is_told_so(self, count, channels):
        counts = {c: [0] * count for c in channels}
        svg = activity_svg(days(count), counts, Plain(), title="t", nothing="nothing here")
        root = parsed(svg)
        told = [t.text for t in tagged(root, "text") if t.get("data-nothing")]
        assert told == ["nothing here"]
        assert not tagged(root, "polyline")
        assert not groups(root, "data-legend")
        told = "channel system: 0" if channels else "nothing here"
        assert root.find(f"{SVG}desc").text.endswith(told)

    def test_more_days_than_its_bound_are_refused(self):
        with pytest.raises(ValueError, match=str(MOST_DAYS)):
            activity_svg(days(MOST_DAYS + 1), {}, Plain(), title="t")

    @pytest.mark.parametrize(
        ("span", "counts", "says"),
        [
            (days(2), {Channel.SYSTEM: [1]}, "1 counts for 2 days"),
            (days(2), {Channel.SYSTEM: [1, -1]}, "negative"),
            ([date(2026, 3, 2), date(2026, 3, 1)], {Channel.SYSTEM: [1, 1]}, "must rise"),
            ([date(2026, 3, 1), date(2026, 3, 1)], {Channel.SYSTEM: [1, 1]}, "each day once"),
        ],
        ids=["too-few-counts", "negative", "falling", "twice"],
    )
    def test_inconsistent_data_is_refused(self, span, counts, says):
        with pytest.raises(ValueError, match=says):
            activity_svg(span, counts, Plain(), title="t")


class TestBars:
    """One bar a row, as long as its count says, each labelled and counted."""

    @pytest.mark.parametrize("count", [1, 2, MOST_ROWS])
    def test_one_bar_a_row_its_length_in_proportion(self, count):
        rows = [(f"key {n}", n * 2) for n in range(count)]
        root = parsed(bars_svg(rows, title="t"))
        drawn = groups(root, "data-row")
        assert [int(g.get("data-count")) for g in drawn] == [c for _, c in rows]
        widths = [float(g.find(f"{SVG}rect").get("width")) for g in drawn]
        assert widths == sorted(widths)
        if count > 1:
            assert widths[-1] / widths[1] == pytest.approx(rows[-1][1] / rows[1][1], rel=0.01)
        for group, (label, n) in zip(drawn, rows, strict=True):
            assert [t.text for t in group.findall(f"{SVG}text")] == [label, str(n)]

    def test_no_row_is_told_so(self):
        root = parsed(bars_svg([], title="t", nothing="no refusals"))
        assert [t.text for t in tagged(root, "text")] == ["no refusals"]
        assert not groups(root, "data-row")

    def test_more_rows_than_its_bound_are_refused(self):
        with pytest.raises(ValueError, match=str(MOST_ROWS)):
            bars_svg([("k", 1)] * (MOST_ROWS + 1), title="t")

    def test_a_negative_count_is_refused(self):
        with pytest.raises(ValueError, match="from zero"):
            bars_svg([("k", -1)], title="t")


class TestNiceTicks:
    """An axis runs from 0 past the largest value in round, even steps."""

    @pytest.mark.parametrize("most", [0, 1, 4, 5, 7, 10, 13, 99, 100, 1234, 98765])
    def test_round_even_steps_that_reach_the_top(self, most):
        ticks = nice_ticks(most)
        steps = {b - a for a, b in pairwise(ticks)}
        assert ticks[0] == 0
        assert ticks[-1] >= most
        assert 2 <= len(ticks) <= 7
        assert len(steps) == 1
        step = steps.pop()
        assert str(step).rstrip("0") in {"1", "2", "5"}
