"""Turns at the guard: first come, first served, one event-loop iteration apart."""

from __future__ import annotations

import asyncio
from itertools import pairwise

from bastion.server._turns import Turns


async def _turns_taken(turns: Turns, names: str) -> list[tuple[str, int]]:
    """Each name's turn, with the loop iteration (a tick count) it started in."""
    loop = asyncio.get_running_loop()
    ticks = 0
    running = True

    def tick() -> None:  # once per loop iteration
        nonlocal ticks
        ticks += 1
        if running:
            loop.call_soon(tick)

    loop.call_soon(tick)
    await asyncio.sleep(0)
    taken: list[tuple[str, int]] = []

    async def request(name: str) -> None:
        async with turns.turn():
            taken.append((name, ticks))

    await asyncio.gather(*(request(name) for name in names))
    running = False
    return taken


def _gaps(taken: list[tuple[str, int]]) -> list[int]:
    return [later - earlier for (_, earlier), (_, later) in pairwise(taken)]


def test_turns_go_in_arrival_order_with_an_iteration_between_them() -> None:
    taken = asyncio.run(_turns_taken(Turns(), "abcd"))
    assert [name for name, _ in taken] == list("abcd")
    # A turn ends one iteration after its work, and the next starts an iteration
    # after that: the loop reads its sockets between any two turns.
    assert _gaps(taken) == [2, 2, 2]


def test_a_plain_lock_would_serve_them_all_in_one_iteration() -> None:
    class PlainTurns(Turns):
        """The same queue, released at once: what the test above rules out."""

        def __init__(self) -> None:
            super().__init__()
            self.lock = asyncio.Lock()

        def turn(self):  # type: ignore[no-untyped-def,override]
            return self.lock

    # Released at once, the requests read together run back to back, and one
    # that arrives meanwhile waits for all of them: the batching turns undo.
    taken = asyncio.run(_turns_taken(PlainTurns(), "abcd"))
    assert _gaps(taken) == [0, 0, 0]


def test_one_instance_serves_a_new_event_loop() -> None:
    turns = Turns()
    assert [n for n, _ in asyncio.run(_turns_taken(turns, "ab"))] == ["a", "b"]
    # A second loop (a test client started again) gets a lock of its own.
    assert [n for n, _ in asyncio.run(_turns_taken(turns, "xyz"))] == ["x", "y", "z"]
