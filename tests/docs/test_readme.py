"""How the README's blocks are read and its outputs compared: a status, a field or a
line the code does not give is a difference."""

from __future__ import annotations

import pytest

from tests.docs.readme import Block, Ids, differences

CREATED = '{"card_id":"4f4a1ef2-b732-470e-af52-9dacc747df0c","state":"applied","version":1}'


class TestCommands:
    """Prompts, continuation lines and exit codes."""

    def test_prompted(self):
        block = Block(
            "api",
            "sh",
            '$ curl -s -d \'{\n  "a": 1}\' url\n{"a":\n 1}\n$ false  # → exit 1',
            10,
        )
        first, second = block.commands()
        assert first.text == "curl -s -d '{\n  \"a\": 1}' url"
        assert first.shown == '{"a":\n 1}'
        assert (first.exit_code, second.exit_code, second.shown) == (0, 1, "")
        assert first.line == 11

    def test_without_prompts_every_line_runs(self):
        block = Block("api", "sh", "A=$(x --y)\n\nB=2 \\\n  c", 1)
        assert [c.text for c in block.commands()] == ["A=$(x --y)", "B=2 \\\n  c"]
        assert all(c.shown is None for c in block.commands())


class TestDifferences:
    """What a README output stands for, and what it does not."""

    def test_ids_are_learned_and_held_to(self):
        ids = Ids()
        shown = '{"card_id":"ade94068-…","state":"applied",\n "version":1}'
        assert differences(shown, CREATED, ids) is None
        assert ids.known == {"ade94068": "4f4a1ef2-b732-470e-af52-9dacc747df0c"}
        assert ids.put_in("curl x/ade94068-…/y") == "curl x/4f4a1ef2-b732-470e-af52-9dacc747df0c/y"
        other = CREATED.replace("4f4a1ef2", "5f4a1ef2")
        assert differences(shown, other, ids) is not None

    def test_an_id_used_before_it_is_shown(self):
        with pytest.raises(LookupError):
            Ids().put_in("curl x/ade94068-…")

    @pytest.mark.parametrize(
        "printed",
        [
            CREATED.replace('"applied"', '"reviewed"'),
            CREATED.replace('"version":1', '"version":2'),
            CREATED + "x",
        ],
    )
    def test_a_field_the_code_does_not_give(self, printed):
        shown = '{"card_id":"ade94068-…","state":"applied","version":1}'
        assert differences(shown, printed, Ids()) is not None

    def test_a_status_the_code_does_not_give(self):
        shown = 'HTTP/1.1 409 Conflict\ncontent-type: application/problem+json\n{"status":409}'
        printed = (
            "HTTP/1.1 403 Forbidden\r\ncontent-type: application/problem+json\r\n"
            'x-request-id: 1\r\n\r\n{"status":403}'
        )
        assert "status line" in (differences(shown, printed, Ids()) or "")
        right = printed.replace("403 Forbidden", "409 Conflict").replace("403}", "409}")
        assert differences(shown, right, Ids()) is None
        wrong_type = right.replace("problem+json", "json")
        assert "header" in (differences(shown, wrong_type, Ids()) or "")

    def test_lines_times_and_hex(self):
        shown = "first\n…\nat 2026-11-23T05:53:14.329666Z  root <hex>\nlast"
        printed = "first\nany\nlines\nat 2025-01-01T00:00:00.000001Z root 0a1b\nlast\n"
        assert differences(shown, printed, Ids()) is None
        assert differences(shown, printed.replace("last", "lost"), Ids()) is not None
        assert differences(shown, "first\nlast", Ids()) is not None
