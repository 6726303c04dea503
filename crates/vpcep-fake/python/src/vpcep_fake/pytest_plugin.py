"""pytest plugin of the vpcep-fake wheel (registered by its `pytest11` entry point).

Fixtures: `vpcep_fake` (function scope) and `vpcep_fake_session` (session scope). Each
is a factory: call it with FakeServer's options, get a started fake; every fake it
started is stopped when the fixture's scope ends, whatever the test did.

    def test_list(vpcep_fake):
        fake = vpcep_fake(generate=40, seed=3, token="t")
        resp = httpx.get(fake.list_url(), headers={"X-Auth-Token": "t"})
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest

from . import FakeServer

StartFake = Callable[..., FakeServer]


def _factory() -> Iterator[StartFake]:
    started: list[FakeServer] = []

    def start(**options: Any) -> FakeServer:
        fake = FakeServer(**options)
        started.append(fake)
        return fake.start()

    try:
        yield start
    finally:
        for fake in started:
            fake.stop()


@pytest.fixture
def vpcep_fake() -> Iterator[StartFake]:
    """Start vpcep-fake on 127.0.0.1 (free port) with FakeServer's options; stopped
    after the test."""
    yield from _factory()


@pytest.fixture(scope="session")
def vpcep_fake_session() -> Iterator[StartFake]:
    """Like `vpcep_fake`, the fakes stopped at the end of the session."""
    yield from _factory()
