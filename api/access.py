"""Who may call what: the one table from each route's capability to the roles allowed it.

Every route names one capability (``api.dependencies.ALLOWED`` guards it before the
handler runs, so a forbidden read is refused before cardflow looks anything up and never
says whether a card exists). A read is also a scope recorded on the key when it is made
(``cardflow keys create --read``): a key reads what its role may and its maker chose, so
a ``system`` key follows the ledger only if it was made to. The README's access section,
the OpenAPI descriptions and the 403s are all written from ``ACCESS``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from api.errors import KeyNotPermitted, ReadNotGrantable
from workflow.definition import ROLE_CHANNELS
from workflow.states import Channel, Role


class Capability(StrEnum):
    """What a route lets its caller do; the reads are also the scopes a key is made with."""

    PUBLIC = "public"
    ACT = "act"
    SWEEP = "sweep"
    CARD = "card"
    HISTORY = "history"
    FEED = "feed"
    PROOFS = "proofs"
    SEARCH = "search"
    VERIFY = "verify"
    VITALS = "vitals"


@dataclass(frozen=True, slots=True)
class Access:
    """One row of the table: what the capability lets a key do, and whose keys may.

    ``roles`` hold it; for a read, a key of one of those roles holds it unless its maker
    left it out, and a key of an ``on_request`` role holds it only if asked for with
    ``--read``. Writes and the published reads are not scopes: the role decides (and the
    rules then check each channel), and a ``keyless`` capability asks for no key at all.
    """

    says: str
    roles: frozenset[Role]
    on_request: frozenset[Role] = frozenset()
    read: bool = True
    keyless: bool = False


_EVERY_ROLE: Final = frozenset(Role)
_OVERSIGHT: Final = frozenset({Role.SUPERVISOR, Role.ADMIN})
_FOLLOWERS: Final = frozenset({Role.SYSTEM})

ACCESS: Final[dict[Capability, Access]] = {
    Capability.PUBLIC: Access(
        "read the lifecycle and its rules; no key needed", _EVERY_ROLE, read=False, keyless=True
    ),
    Capability.ACT: Access(
        "apply, move cards and send batches, through the channels its role and key allow",
        frozenset(role for role, channels in ROLE_CHANNELS.items() if channels),
        read=False,
    ),
    Capability.SWEEP: Access(
        "take cardflow's own steps on cards past a deadline (the `system` channel)",
        frozenset(role for role, channels in ROLE_CHANNELS.items() if Channel.SYSTEM in channels),
        read=False,
    ),
    Capability.CARD: Access("read a card's state, version and the events allowed now", _EVERY_ROLE),
    Capability.HISTORY: Access(
        "read a card's full history (refused attempts and proofs included)",
        _OVERSIGHT,
        _FOLLOWERS,
    ),
    Capability.FEED: Access(
        "follow the ledger feed (every entry, each person's `subject` reference, every actor)",
        _OVERSIGHT,
        _FOLLOWERS,
    ),
    Capability.PROOFS: Access(
        "read signed checkpoints, the log's keys, and inclusion and consistency proofs "
        "(hashes only); no key needed: published, as a transparency log publishes them",
        _EVERY_ROLE,
        read=False,
        keyless=True,
    ),
    Capability.SEARCH: Access(
        "search every card, and be told which card a duplicate application's person holds "
        "(`holder`)",
        _OVERSIGHT,
    ),
    Capability.VERIFY: Access("verify the whole ledger", _OVERSIGHT),
    Capability.VITALS: Access(
        "read the service's vital signs: up, ready, and its counts and timings (no card, "
        "person or key); no key needed, for operators' probes and Prometheus",
        _EVERY_ROLE,
        read=False,
        keyless=True,
    ),
}
"""The one table the guards, the keys, the 403s, the README and the OpenAPI text follow."""

READS: Final[tuple[Capability, ...]] = tuple(c for c, row in ACCESS.items() if row.read)
"""The capabilities a key holds as scopes, chosen when it is made."""


def default_reads(role: Role) -> frozenset[Capability]:
    """The reads a key of ``role`` is made with when its maker names none."""
    return frozenset(c for c in READS if role in ACCESS[c].roles)


def grantable_reads(role: Role) -> frozenset[Capability]:
    """Every read a key of ``role`` may be made with."""
    return frozenset(c for c in READS if role in ACCESS[c].roles | ACCESS[c].on_request)


def reads_for(role: Role, asked: Iterable[Capability] | None) -> frozenset[Capability]:
    """The reads recorded on a new key: those asked for, or the role's default;
    ``ReadNotGrantable`` for one its role may not hold."""
    if asked is None:
        return default_reads(role)
    chosen = frozenset(Capability(c) for c in asked)
    published = sorted(c for c in chosen if ACCESS[c].keyless)
    if published:
        raise ReadNotGrantable(
            f"--read {', '.join(published)} is not a scope: anyone may read it without a key; "
            f"a {role} key may read: {', '.join(sorted(grantable_reads(role))) or 'nothing'}"
        )
    beyond = sorted(chosen - grantable_reads(role))
    if beyond:
        raise ReadNotGrantable(
            f"a {role} key may not be made with --read {', '.join(beyond)}; it may read: "
            f"{', '.join(sorted(grantable_reads(role))) or 'nothing'}"
        )
    return chosen


def permits(role: Role, reads: frozenset[Capability], capability: Capability) -> bool:
    """Whether a key of ``role`` made with ``reads`` may use ``capability``: its role must
    allow it, and a read must also be among the key's own."""
    row = ACCESS[capability]
    if not row.read:
        return role in row.roles
    return role in row.roles | row.on_request and capability in reads


def check(
    actor: str,
    role: Role,
    reads: frozenset[Capability],
    capability: Capability,
    permitted_channels: Sequence[Channel] = (),
) -> None:
    """``KeyNotPermitted`` unless the key may use ``capability``, saying what it may read."""
    if permits(role, reads, capability):
        return
    row = ACCESS[capability]
    if not row.read and not ROLE_CHANNELS[role]:
        why = f"the {role} role only reads"
    elif role not in row.roles | row.on_request:
        why = f"the {role} role may not {row.says}"
    else:
        why = f"this key was not made with --read {capability}"
    may_read = sorted(c for c in reads if permits(role, reads, c))
    raise KeyNotPermitted(
        f"{actor} may not {row.says}: {why}; this key may read: {', '.join(may_read) or 'nothing'}",
        capability=capability,
        may_read=tuple(may_read),
        permitted_channels=tuple(permitted_channels),
    )


def cell(role: Role, capability: Capability) -> str:
    """What the access table says of a key of ``role`` on ``capability``."""
    row = ACCESS[capability]
    if row.keyless:
        return "yes, no key needed"
    if role in row.roles:
        return "through its channels" if capability is Capability.ACT else "yes"
    if role in row.on_request:
        return f"if made with `--read {capability}`"
    return "no"


def roles_line(capability: Capability) -> str:
    """Who may use ``capability``, in one sentence (for each OpenAPI operation)."""
    row = ACCESS[capability]
    if row.keyless:
        return (
            f"**Who may call:** anyone; no key is needed (capability `{capability}`: {row.says})."
        )
    roles = ", ".join(f"`{role}`" for role in Role if role in row.roles)
    said = f"**Who may call:** {roles} keys"
    if row.on_request:
        asked = ", ".join(f"`{role}`" for role in Role if role in row.on_request)
        said += f", and {asked} keys made with `--read {capability}`"
    if capability is Capability.ACT:
        said += ", each through the channels its role and key allow"
    return f"{said} (capability `{capability}`: {row.says}). Others get 403 `not-permitted`."


def markdown(routes: Iterable[tuple[str, Capability]]) -> str:
    """The access table as Markdown: one row per ``(route, capability)``, a column per role;
    ``route`` is Markdown already."""
    roles = list(Role)
    rows = [
        f"| route | capability | {' | '.join(roles)} |",
        f"| --- | --- |{' --- |' * len(roles)}",
    ]
    for route, capability in routes:
        cells = " | ".join(cell(role, capability) for role in roles)
        rows.append(f"| {route} | `{capability}` | {cells} |")
    legend = [
        "",
        "| capability | lets a key |",
        "| --- | --- |",
        *(f"| `{c}` | {row.says} |" for c, row in ACCESS.items()),
    ]
    defaults = [
        "",
        "| role | reads by default (a key made without `--read`) | may be made with |",
        "| --- | --- | --- |",
        *(
            f"| {role} | {_listed(default_reads(role))} | {_listed(grantable_reads(role))} |"
            for role in roles
        ),
    ]
    return "\n".join(rows + legend + defaults) + "\n"


def _listed(reads: Iterable[Capability]) -> str:
    return ", ".join(f"`{c}`" for c in sorted(reads)) or "nothing"


START_MARKER: Final = "<!-- generated:access:start -->"
END_MARKER: Final = "<!-- generated:access:end -->"


def with_section(readme: str, section: str) -> str:
    """``readme`` with the text between the access markers replaced by ``section``."""
    head, rest = readme.split(START_MARKER, 1)
    _, tail = rest.split(END_MARKER, 1)
    return f"{head}{START_MARKER}\n{section}{END_MARKER}{tail}"
