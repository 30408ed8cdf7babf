"""One grammar of the step wording, so the step definitions and the living docs read a step alike.

The step definitions in ``tests/bdd/conftest.py`` register these patterns with
``parsers.parse`` and the vocabularies in ``TYPES``; the docs match the same patterns
against a feature's steps to tell what each step tries and which refusal it states.
A pattern is written in ``parse``'s format: ``{name}`` for any text, ``{name:Type}`` for a
word of the vocabulary ``TYPES[Type]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Final, Generic, TypeVar

from workflow.policy import Window
from workflow.states import SAID, Channel, ErasureReason, Event, State

T = TypeVar("T")
Pair = tuple[Event, Channel]


def alternatives(words: Iterable[str]) -> str:
    """A regex matching any of ``words``, the longest first so none stops short."""
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


@dataclass(frozen=True, slots=True)
class Vocabulary(Generic[T]):
    """A ``parse`` type that matches only its words, so a step's words cannot run together."""

    names: Mapping[str, T]

    @property
    def pattern(self) -> str:
        """The regex ``parse`` matches the field with."""
        return alternatives(self.names)

    def __call__(self, text: str) -> T:
        return self.names[text]


EVENT_WORDS: Final[Mapping[str, Event]] = {said: event for event, said in SAID.items()}
"""How a supervisor says that an event happened to a card."""

STATE_WORDS: Final[Mapping[str, State]] = {str(state).replace("_", " "): state for state in State}

CHANNEL_WORDS: Final[Mapping[str, Channel]] = {str(channel): channel for channel in Channel}

WINDOW_WORDS: Final[Mapping[str, Window]] = {
    str(window).replace("_", " "): window for window in Window
}

CHECK_WORDS: Final[Mapping[str, str]] = {
    "check character": "check_character",
    "birth date": "birth_date",
    "region": "region",
    "length": "length",
}

ERASURE_WORDS: Final[Mapping[str, ErasureReason]] = {
    "the person's request": ErasureReason.REQUEST,
    "the person's death": ErasureReason.DEATH,
    "moving away": ErasureReason.MOVED_AWAY,
    "the end of the retention period": ErasureReason.RETENTION_ENDED,
}

TYPES: Final[Mapping[str, Vocabulary[Any]]] = {
    "Reason": Vocabulary(ERASURE_WORDS),
    "Event": Vocabulary(EVENT_WORDS),
    "Window": Vocabulary(WINDOW_WORDS),
    "State": Vocabulary(STATE_WORDS),
    "Channel": Vocabulary(CHANNEL_WORDS),
    "Check": Vocabulary(CHECK_WORDS),
}
"""The vocabulary of each ``{name:Type}`` field."""

APPLIES: Final = "the applicant applies through the {channel:Channel} channel with {evidence}"
AGENT_APPLIES: Final = (
    "an agent applies for the applicant through the {channel:Channel} channel with {evidence}"
)
CARD_IS: Final = "the card is {event:Event} through the {channel:Channel} channel with {evidence}"
CARD_IS_BY_AN_AGENT: Final = (
    "the card is {event:Event} by an agent through the {channel:Channel} channel with {evidence}"
)
CARD_IS_BY_A_SUPERVISOR: Final = (
    "the card is {event:Event} by a supervisor"
    " through the {channel:Channel} channel with {evidence}"
)
CARD_IS_BY_A_CLERK: Final = (
    "the card is {event:Event} by the {holder:Channel} clerk"
    " through the {channel:Channel} channel with {evidence}"
)

TRIES: Final[Mapping[str, Event | None]] = {
    APPLIES: Event.APPLY,
    AGENT_APPLIES: Event.APPLY,
    CARD_IS: None,
    CARD_IS_BY_AN_AGENT: None,
    CARD_IS_BY_A_SUPERVISOR: None,
    CARD_IS_BY_A_CLERK: None,
}
"""Each step that tries an event through a channel, with the event it tries when its words
do not name one in an ``{event:Event}`` field."""

REFUSED_STATE: Final = "it is refused because the card is {state:State}"
REFUSED_CHANNEL: Final = "it is refused because that channel never carries that step"
REFUSED_AGENT: Final = (
    "it is refused because no agent may stand in through the {channel:Channel} channel"
)
REFUSED_SUPERVISOR: Final = "it is refused because a supervisor only reads"
REFUSED_NOT_THEIR_CHANNEL: Final = (
    "it is refused because the clerk may not act through the {channel:Channel} channel"
)
REFUSED_MISSING: Final = 'it is refused because "{says}" is missing'
REFUSED_MALFORMED: Final = 'it is refused because "{says}" is not in the right form'
REFUSED_WANTING: Final = "it is refused for want of:"
"""Its data table names what is missing, one a row."""
REFUSED_IDENTITY: Final = "it is refused because the citizen ID fails its {check:Check} check"
REFUSED_WINDOW_OPEN: Final = "it is refused because the {window:Window} has not run out"
REFUSED_NO_DEADLINE: Final = "it is refused because no deadline runs for the card"
REFUSED_FINANCIAL_ACTIVE: Final = "it is refused because its financial function is already active"
REFUSED_HOLDS_CARD: Final = "it is refused because the applicant already holds that card"
REFUSED_DATED_BACK: Final = "it is refused because it is dated further back than the region allows"
REFUSED_DATED_AHEAD: Final = "it is refused because it is dated ahead of cardflow's clock"
REFUSED_DOCUMENT: Final = (
    "it is refused because {document} does not carry a number like the one given"
)

REFUSALS: Final[tuple[str, ...]] = (
    REFUSED_STATE,
    REFUSED_CHANNEL,
    REFUSED_AGENT,
    REFUSED_SUPERVISOR,
    REFUSED_NOT_THEIR_CHANNEL,
    REFUSED_MISSING,
    REFUSED_MALFORMED,
    REFUSED_WANTING,
    REFUSED_IDENTITY,
    REFUSED_WINDOW_OPEN,
    REFUSED_NO_DEADLINE,
    REFUSED_FINANCIAL_ACTIVE,
    REFUSED_HOLDS_CARD,
    REFUSED_DATED_BACK,
    REFUSED_DATED_AHEAD,
    REFUSED_DOCUMENT,
)
"""Every way a step says that what was tried is refused."""

_FIELD: Final = re.compile(r"\{(?P<name>\w+)(?::(?P<type>\w+))?\}")


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    """``pattern`` as the regex ``parse`` makes of it: literal text, then each field's words."""
    parts: list[str] = []
    last = 0
    for field in _FIELD.finditer(pattern):
        parts.append(re.escape(pattern[last : field.start()]))
        kind = field["type"]
        words = ".+?" if kind is None else TYPES[kind].pattern
        parts.append(f"(?P<{field['name']}>{words})")
        last = field.end()
    parts.append(re.escape(pattern[last:]))
    return re.compile("".join(parts))


def fields(pattern: str, text: str) -> Mapping[str, Any] | None:
    """The value of each field of ``pattern`` in a step's ``text``, or ``None`` if the step
    is not worded by ``pattern``."""
    match = _compiled(pattern).fullmatch(text.strip())
    if match is None:
        return None
    types = {field["name"]: field["type"] for field in _FIELD.finditer(pattern)}
    return {
        name: value if types[name] is None else TYPES[types[name]](value)
        for name, value in match.groupdict().items()
    }


def tried(text: str) -> Pair | None:
    """The (event, channel) a step tries, or ``None`` for a step that tries nothing.

    A step tries something when it is worded by one of ``TRIES``: "the applicant applies
    through the X channel with ...", "the card is <said> [by an agent | by a supervisor |
    by the <channel> clerk] through the X channel with ...", where <said> is how
    ``workflow.states.SAID`` words an event ("reported lost").
    """
    for pattern, event in TRIES.items():
        found = fields(pattern, text)
        if found is not None:
            return found.get("event", event), found["channel"]
    return None
