"""Start and stop vpcep-fake (the binary installed with this package) from Python.

    from vpcep_fake import FakeServer

    with FakeServer(generate=40, seed=3, token="t") as fake:
        fake.url          # "http://127.0.0.1:PORT"
        fake.list_url()   # fake.url + "/v1/<project>/vpc-endpoints"

The pytest plugin (`vpcep_fake` fixture) is in `vpcep_fake.pytest_plugin`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import threading
from pathlib import Path
from typing import Optional, Sequence, Union

__all__ = ["FakeServer", "FakeError", "binary", "DEFAULT_PROJECT"]

#: The project ID the fake's generated endpoints belong to (its `--project-id` default).
DEFAULT_PROJECT = "295dacf46a4842fcbf7844dc2dc2489d"

_EXE = "vpcep-fake.exe" if os.name == "nt" else "vpcep-fake"
_PathLike = Union[str, "os.PathLike[str]"]


class FakeError(RuntimeError):
    """The fake could not be found, did not start, or exited."""


def binary() -> str:
    """Path of the vpcep-fake binary: $VPCEP_FAKE_BIN, else the one installed with this
    package (the environment's scripts directory), else the first on PATH."""
    env = os.environ.get("VPCEP_FAKE_BIN")
    if env:
        if not os.access(env, os.X_OK):
            raise FakeError(f"VPCEP_FAKE_BIN={env!r} is not an executable file")
        return env
    for scripts in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        candidate = os.path.join(scripts, _EXE)
        if os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(_EXE)
    if found:
        return found
    raise FakeError(
        "vpcep-fake not found: install the vpcep-fake wheel, or set VPCEP_FAKE_BIN"
    )


def _flag(name: str, value: object) -> list[str]:
    return [] if value is None else [name, str(value)]


class FakeServer:
    """One vpcep-fake process on 127.0.0.1 with a free port.

    Options (each maps to the flag of the same name; see `vpcep-fake --help`):

    * data: `generate=N` (with `seed`), or `data=FILE` (replay a recorded page or array
      of endpoints), or neither (the vendor doc's two endpoints); `quirks=True` serves
      the doc's shapes (booleans as strings, single strings for one-element lists).
    * faults: `fail_rate` (0..1) with `fail_status` (default 503; 429 adds
      Retry-After: 1) and `fail_html=True` (nginx's HTML page instead of JSON);
      `truncate_rate`, `drop_rate`, `latency_ms`.
    * auth (one is required): `token="T"` (or `tokens=[...]`), `ak`/`sk`, or
      `no_auth=True`.
    * `args=[...]`: more flags, as given.

    `start()` waits at most `start_timeout` seconds for the "listening on URL" line;
    `stop()` sends SIGTERM, waits up to 10 s, then kills. Also a context manager.
    """

    def __init__(
        self,
        *,
        generate: Optional[int] = None,
        seed: Optional[int] = None,
        data: Optional[_PathLike] = None,
        quirks: bool = False,
        token: Optional[str] = None,
        tokens: Sequence[str] = (),
        ak: Optional[str] = None,
        sk: Optional[str] = None,
        no_auth: bool = False,
        fail_rate: Optional[float] = None,
        fail_status: Optional[int] = None,
        fail_html: bool = False,
        truncate_rate: Optional[float] = None,
        drop_rate: Optional[float] = None,
        latency_ms: Optional[int] = None,
        project_id: Optional[str] = None,
        args: Sequence[str] = (),
        start_timeout: float = 30.0,
        executable: Optional[str] = None,
    ) -> None:
        if (ak is None) != (sk is None):
            raise ValueError("ak and sk go together: give both or neither")
        cmd = [executable or binary(), "--listen", "127.0.0.1:0"]
        cmd += _flag("--generate", generate) + _flag("--seed", seed)
        if data is not None:
            path = Path(data)
            if not path.is_file():
                raise ValueError(f"data: {str(path)!r} is not a file")
            cmd += ["--data", str(path)]
        cmd += ["--quirks"] if quirks else []
        for t in ([token] if token is not None else []) + list(tokens):
            cmd += ["--token", t]
        cmd += _flag("--ak", ak) + _flag("--sk", sk)
        cmd += ["--no-auth"] if no_auth else []
        cmd += _flag("--fail-rate", fail_rate) + _flag("--fail-status", fail_status)
        cmd += ["--fail-html"] if fail_html else []
        cmd += _flag("--truncate-rate", truncate_rate) + _flag("--drop-rate", drop_rate)
        cmd += _flag("--latency-ms", latency_ms) + _flag("--project-id", project_id)
        cmd += list(args)
        self.command = cmd
        self.project_id = project_id or DEFAULT_PROJECT
        self.start_timeout = start_timeout
        self.url = ""
        self._proc: Optional[subprocess.Popen[str]] = None
        self._stderr: list[str] = []

    def start(self) -> "FakeServer":
        if self._proc is not None:
            raise FakeError("already started")
        self._proc = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        proc = self._proc
        first: list[str] = []
        got_line = threading.Event()

        def read_stdout() -> None:
            assert proc.stdout is not None
            first.append(proc.stdout.readline())
            got_line.set()
            for _ in proc.stdout:  # keep the pipe drained
                pass

        def read_stderr() -> None:
            assert proc.stderr is not None
            for line in proc.stderr:
                if len(self._stderr) < 200:
                    self._stderr.append(line)

        threading.Thread(target=read_stdout, daemon=True).start()
        stderr_reader = threading.Thread(target=read_stderr, daemon=True)
        stderr_reader.start()
        got_line.wait(self.start_timeout)
        line = first[0].strip() if first else ""
        if not line.startswith("listening on "):
            self.stop()
            stderr_reader.join(timeout=5)  # its last words, for the message
            why = f"no URL within {self.start_timeout} s" if not first else "exited"
            raise FakeError(
                f"vpcep-fake did not start ({why}): {' '.join(self.command)}\n"
                + "".join(self._stderr)
            )
        self.url = line[len("listening on ") :]
        return self

    def list_url(self, project_id: Optional[str] = None) -> str:
        """The ListEndpoints URL of this fake."""
        return f"{self.url}/v1/{project_id or self.project_id}/vpc-endpoints"

    @property
    def stderr(self) -> str:
        """What the fake wrote on stderr so far (its first 200 lines)."""
        return "".join(self._stderr)

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    def __enter__(self) -> "FakeServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = self.url or "not started"
        return f"FakeServer({state})"
