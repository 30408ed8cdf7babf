"""The README's shell session and CLI examples, run as written against a fresh
cardflow: each command's exit code and what the README shows it printing (ids, times
and hashes masked) must be what cardflow gives."""

from __future__ import annotations

import os
import re
import select
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.docs.readme import SKIP, Block, Ids, blocks, differences, sessions

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
VENV = Path(sys.executable).parent.parent
README_PORT = "8000"
TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Shell:
    """One bash for a session: its variables last from one block to the next."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self._mark = f"__readme_session_{uuid.uuid4().hex}__"
        self._stderr = (cwd / "stderr.log").open("w")
        self._bash = subprocess.Popen(
            ["bash", "--noprofile", "--norc"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=cwd,
            env=env,
        )

    def run(self, command: str) -> tuple[int, str]:
        """Run ``command`` (its standard input empty); its exit code and what it printed."""
        assert self._bash.stdin is not None
        assert self._bash.stdout is not None
        script = f"{{ {command}\n}} </dev/null\nprintf '\\n{self._mark} %s\\n' \"$?\"\n"
        self._bash.stdin.write(script.encode())
        self._bash.stdin.flush()
        printed = b""
        deadline = time.monotonic() + TIMEOUT
        end = f"\n{self._mark} ".encode()
        while end not in printed or not printed.endswith(b"\n"):
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._bash.stdout], [], [], max(left, 0))
            if not ready:
                raise TimeoutError(f"no end to {command!r} in {TIMEOUT} s")
            chunk = os.read(self._bash.stdout.fileno(), 65536)
            if not chunk:
                raise RuntimeError(f"the shell ended during {command!r}")
            printed += chunk
        text, _, code = printed.decode().rpartition(end.decode())
        return int(code), text

    def close(self) -> None:
        assert self._bash.stdin is not None
        assert self._bash.stdout is not None
        self._bash.stdin.close()
        self._bash.wait(timeout=30)
        self._bash.stdout.close()
        self._stderr.close()


class Session:
    """A fresh folder with ``.venv`` at hand (this Python's), its own SQLite file and
    keys, and a server on a free port once a command speaks to ``localhost:8000``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        (folder / ".venv").symlink_to(VENV)
        self.port = str(free_port())
        self.env = {
            key: value for key, value in os.environ.items() if not key.startswith("CARDFLOW_")
        }
        self.env |= {
            "PATH": f"{VENV / 'bin'}{os.pathsep}{os.environ['PATH']}",
            "CARDFLOW_PERSON_KEY_FILE": str(folder / "cardflow.person-key"),
            "CARDFLOW_LOG_KEY_FILE": str(folder / "cardflow.log-key"),
        }
        self.shell = Shell(folder, self.env)
        self.server: subprocess.Popen[bytes] | None = None
        self.ids = Ids()

    def command(self, text: str) -> str:
        """``text`` as this session runs it: ids written out, the server's own port."""
        written = self.ids.put_in(text)
        for host in ("localhost", "127.0.0.1"):
            written = written.replace(f"{host}:{README_PORT}", f"127.0.0.1:{self.port}")
        if self.port in written and self.server is None:
            self.serve()
        return written

    def serve(self) -> None:
        with (self.folder / "serve.log").open("w") as log:
            self.server = subprocess.Popen(
                [str(VENV / "bin" / "cardflow"), "serve", "--port", self.port],
                cwd=self.folder,
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.server.poll() is None, (self.folder / "serve.log").read_text()
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/v1/workflow", timeout=2)
                return
            except httpx.TransportError:
                time.sleep(0.2)
        raise TimeoutError("cardflow serve did not answer")

    def close(self) -> None:
        self.shell.close()
        if self.server is not None:
            self.server.terminate()
            self.server.wait(timeout=30)


@pytest.fixture
def session(tmp_path) -> Iterator[Session]:
    opened = Session(tmp_path)
    yield opened
    opened.close()


def run_blocks(session: Session, run: list[Block]) -> None:
    for block in run:
        for command in block.commands():
            code, printed = session.shell.run(session.command(command.text))
            where = f"README.md line {command.line}: {command.text.splitlines()[0]}"
            assert code == command.exit_code, f"{where}\nexit {code}\n{printed}"
            if command.shown is not None:
                wrong = differences(command.shown, printed, session.ids)
                assert wrong is None, f"{where}\n{wrong}"


@pytest.mark.parametrize("name", sorted(sessions(README)))
def test_session(name, session):
    """Each session of the README runs, in order, as the README shows it."""
    run_blocks(session, sessions(README)[name])


class TestMarking:
    """Every shell block of the README is run, or says why not."""

    def test_every_shell_block_is_marked(self):
        unmarked = [
            block.line for block in blocks(README) if block.lang == "sh" and block.session is None
        ]
        assert not unmarked, f"README.md lines {unmarked}: mark each <!-- doctest: … -->"

    def test_a_skip_says_why(self):
        assert all(block.why for block in blocks(README) if block.session == SKIP)

    def test_the_session_and_the_demo_are_run(self):
        run = sessions(README)
        assert {"api", "demo"} <= set(run)
        commands = [c.text for block in run["demo"] for c in block.commands()]
        assert ".venv/bin/cardflow demo" in commands


class TestQuickStart:
    """The quick start counts what the demo block (run above) shows the demo counting."""

    def test_its_counts_are_the_demos(self):
        quick = " ".join(README.split("## Quick start", 1)[1].split("\n## ", 1)[0].split())
        summary = re.search(
            r"^(\d+) stories told: (\d+) cards opened, (\d+) entries written", README, re.M
        )
        assert summary is not None
        stories, cards, entries = summary.groups()
        assert f"{stories} stories take {cards} cards" in quick
        assert f"adds {cards} more cards and {entries} more entries" in quick
