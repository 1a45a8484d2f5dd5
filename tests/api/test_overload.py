"""Overload: beyond max_concurrent_evaluations requests wait in a bounded queue that is fair per caller
(its token when auth is on, else its address), and the refusals beyond it happen before any parsing.

Evaluations are held at gates (tests/gatekind.py), so every step below is decided by the admission
state, never by timing."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import pytest

from analyzer import web as web_module
from analyzer.appkeys import HISTORY, LIVE, METRICS
from analyzer.settings import Settings
from analyzer.web import create_app
from tests.api import rawhttp
from tests.gatecatalog import REGISTRY, gate_catalog
from tests.gatekind import GATES, Gate

TOKEN_FLOOD = "flood-" + "f" * 40
TOKEN_OTHER = "other-" + "o" * 40
# Bounds a hung test only.
HANG_GUARD_S = 20


def catalog():
    return gate_catalog(
        {"name": "hold-1", "kind": "gate", "gate": "hold-1"},
        {"name": "hold-2", "kind": "gate", "gate": "hold-2"},
        {"name": "wait", "kind": "gate", "gate": "wait", "params": {"n": {"type": "number", "required": True}}},
    )


@pytest.fixture
def gates():
    GATES.update({name: Gate() for name in ("hold-1", "hold-2", "wait")})
    yield GATES
    for name in ("hold-1", "hold-2", "wait"):
        GATES.pop(name).open()


async def until(condition) -> None:
    """Return once `condition()` holds; the admission state has no event to await, so look each tick."""
    async with asyncio.timeout(HANG_GUARD_S):
        while not condition():
            await asyncio.sleep(0.005)


async def hold_both_slots(client, gates, headers: dict[str, str]) -> list[asyncio.Task]:
    """Two requests holding both evaluation slots (`hold-1`, `hold-2`, until their gates open), once both hold one."""
    holding = [asyncio.create_task(client.get(f"/api/v1/checks/hold-{i}/run", headers=headers)) for i in (1, 2)]
    await gates["hold-1"].wait_entered(1)
    await gates["hold-2"].wait_entered(1)
    return holding


async def queue_two(client, admission, headers: dict[str, str]) -> list[asyncio.Task]:
    """Two distinct requests of `wait` (n=1, n=2) waiting in the queue, once both wait."""
    waiting = [asyncio.create_task(client.get(f"/api/v1/checks/wait/run?n={n}", headers=headers)) for n in (1, 2)]
    await until(lambda: admission.queued == 2)
    return waiting


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def asked_at_the_door(admission) -> list[str]:
    """The callers `admission.refuses` is asked about from now on: the door asks it before it reads a POST's body."""
    asked: list[str] = []
    refuses = admission.refuses

    def spy(caller: str) -> bool:
        asked.append(caller)
        return refuses(caller)

    admission.refuses = spy
    return asked


async def held_body(first: bytes, rest: bytes, release: asyncio.Event):
    """A request body whose `rest` is sent once `release` is set (chunked): a client slow to send it."""
    yield first
    await release.wait()
    yield rest


async def _answer(reader: asyncio.StreamReader) -> rawhttp.RawResponse:
    """The next answer read from a raw connection (its head, then its Content-Length of body)."""
    async with asyncio.timeout(HANG_GUARD_S):
        head = await reader.readuntil(b"\r\n\r\n")
        response = rawhttp.parse(head)
        response.body = await reader.readexactly(int(response.headers["content-length"]))
    return response


class TestFairAdmission:
    """A flooding caller holds its share; another caller is still admitted, ahead of the flood."""

    @pytest.fixture
    async def client(self, aiohttp_client, tmp_path):
        tokens = tmp_path / "tokens"
        tokens.mkdir()
        (tokens / "flood").write_text(TOKEN_FLOOD)
        (tokens / "other").write_text(TOKEN_OTHER)
        settings = Settings(
            auth_tokens=tokens,
            max_concurrent_evaluations=2,
            max_queued_evaluations=2,
            queue_timeout_s=60,
            retry_after_s=3,
        )
        return await aiohttp_client(create_app(settings, catalog(), REGISTRY))

    async def test_a_flood_cannot_starve_another_caller(self, client, gates):
        admission = client.app[LIVE].admission
        flood = bearer(TOKEN_FLOOD)
        holding = await hold_both_slots(client, gates, flood)
        # Every slot is busy: the next two wait instead of being refused.
        waiting = await queue_two(client, admission, flood)
        # The queue is full and the flood is its only user: refused at once, before its args are parsed.
        refused = await client.get("/api/v1/checks/wait/run?n=not-a-number", headers=flood)
        assert refused.status == 429 and refused.headers["Retry-After"] == "3"
        assert (await refused.json())["error"] == "overloaded"
        assert client.app[HISTORY].query(limit=10, visible=lambda name: True) == []

        # Another caller takes the place of the flood's newest waiter...
        other = asyncio.create_task(client.get("/api/v1/checks/wait/run?n=3", headers=bearer(TOKEN_OTHER)))
        shed = await waiting.pop()
        assert shed.status == 429 and "took this one's place" in (await shed.json())["message"]
        assert admission.shares() == {"flood": (2, 1), "other": (0, 1)}
        # ...and the first slot to free goes to it, though the flood has waited longer.
        gates["hold-1"].open()
        assert (await holding[0]).status == 200
        assert admission.shares() == {"flood": (1, 1), "other": (1, 0)}

        for gate in gates.values():
            gate.open()
        for answer in [holding[1], *waiting, other]:
            assert (await answer).status == 200

    async def test_a_burst_beyond_the_queue_is_refused_at_the_door_and_kept_out_of_the_history(self, client, gates):
        # Before: a request took its place in the queue only once its evaluation's task first ran, so every request of
        # a burst read in one turn of the loop passed the door, and those beyond the queue were refused after parsing,
        # written to the verdict history (pushing real verdicts out), as the docs promise a flood never is.
        admission = client.app[LIVE].admission
        flood = bearer(TOKEN_FLOOD)
        holding = await hold_both_slots(client, gates, flood)
        host, port = client.server.host, client.server.port
        connections = [await asyncio.open_connection(host, port) for _ in range(4)]
        try:
            for reader, writer in connections:
                # Each connection taken by the server and idle before the burst: their requests are read in one turn.
                writer.write(rawhttp.request("GET", "/healthz"))
                assert (await _answer(reader)).status == 200
            for n, (_, writer) in enumerate(connections, start=1):
                writer.write(rawhttp.request("GET", f"/api/v1/checks/wait/run?n={n}", headers=flood))
            await until(lambda: admission.queued == 2)
            refused = [await _answer(reader) for reader, _ in connections[2:]]
            assert [answer.status for answer in refused] == [429, 429]
            assert [answer.json()["message"] for answer in refused] == [
                "every evaluation slot is busy and the queue is full; retry in 3 s"
            ] * 2
            assert client.app[HISTORY].query(limit=10, visible=lambda name: True) == []
            for gate in gates.values():
                gate.open()
            assert [(await _answer(reader)).status for reader, _ in connections[:2]] == [200, 200]
            assert [(await answer).status for answer in holding] == [200, 200]
        finally:
            for _, writer in connections:
                writer.close()

    async def test_a_request_identical_to_one_in_flight_joins_it_when_the_queue_is_full(self, client, gates):
        # Before: refused with 429 at the door (queue full, the caller the heaviest) though it costs no slot: Argo
        # counts that as a failed measurement, and five in a row abort the rollout.
        admission = client.app[LIVE].admission
        coalesced = client.app[METRICS].coalesced
        flood = bearer(TOKEN_FLOOD)
        holding = await hold_both_slots(client, gates, flood)
        waiting = await queue_two(client, admission, flood)
        assert admission.refuses("flood")
        # Identical to one running and to one waiting for its slot: both join, and hold no slot or place of their own.
        joined = [
            asyncio.create_task(client.get(path, headers=flood))
            for path in ("/api/v1/checks/hold-1/run", "/api/v1/checks/wait/run?n=1")
        ]
        # Joined, or answered (before: refused at once, 429).
        await until(lambda: coalesced.value("hold-1") + coalesced.value("wait") == 2 or any(t.done() for t in joined))
        assert not any(t.done() for t in joined)
        assert admission.shares() == {"flood": (2, 2)}
        # A distinct request is still refused at the door: joining is no way past a caller's share.
        distinct = await client.get("/api/v1/checks/wait/run?n=3", headers=flood)
        assert distinct.status == 429
        assert client.app[HISTORY].query(limit=10, visible=lambda name: True) == []

        for gate in gates.values():
            gate.open()
        answers = [await answer for answer in [*holding, *waiting, *joined]]
        assert [answer.status for answer in answers] == [200] * 6
        bodies = [await answer.json() for answer in answers]
        # The same evaluation's answer: its evaluation time and duration too.
        assert bodies[4] == bodies[0] and bodies[5] == bodies[2]
        assert gates["hold-1"].entered == 1 and gates["wait"].entered == 2

    async def test_a_post_identical_to_one_in_flight_joins_it_when_the_queue_is_full(self, client, gates):
        # Before: refused with 429 at the door whatever its body, where an identical GET joined: Argo's web provider
        # POSTs when its template gives a body (method: POST, jsonBody), and counts a 429 as an Error.
        admission = client.app[LIVE].admission
        coalesced = client.app[METRICS].coalesced
        flood = bearer(TOKEN_FLOOD)
        holding = await hold_both_slots(client, gates, flood)
        waiting = [
            asyncio.create_task(client.post("/api/v1/checks/wait/run?explain=true", data=body, headers=flood))
            for body in ('{"n": 1}', '{"n": 2}')
        ]
        await until(lambda: admission.queued == 2)
        assert admission.refuses("flood")
        # Identical to one waiting for its slot, query string and body byte for byte: it joins.
        joined = asyncio.create_task(
            client.post("/api/v1/checks/wait/run?explain=true", data='{"n": 1}', headers=flood)
        )
        await until(lambda: coalesced.value("wait") == 1 or joined.done())
        assert not joined.done()
        assert admission.shares() == {"flood": (2, 2)}
        # Another body, or the same one with another query string, is refused at the door as before.
        for path, body in [
            ("/api/v1/checks/wait/run?explain=true", '{"n": 3}'),
            ("/api/v1/checks/wait/run", '{"n": 1}'),
        ]:
            distinct = await client.post(path, data=body, headers=flood)
            assert distinct.status == 429
        assert client.app[HISTORY].query(limit=10, visible=lambda name: True) == []

        for gate in gates.values():
            gate.open()
        answers = [await answer for answer in [*holding, *waiting, joined]]
        assert [answer.status for answer in answers] == [200] * 5
        bodies = [await answer.json() for answer in answers]
        assert bodies[4] == bodies[2] and bodies[4]["args"] == {"n": 1}
        assert gates["wait"].entered == 2

    async def test_a_get_refused_at_the_door_asks_admission_once(self, client, gates):
        # Before: twice, the second time with nothing awaited in between (so with the same answer). Each look is
        # linear in the callers waiting: about 0.3 ms with a thousand of them (by address, without auth), the cost
        # of refusing doubled under a flood, where refusing must cost next to nothing.
        admission = client.app[LIVE].admission
        flood = bearer(TOKEN_FLOOD)
        holding = await hold_both_slots(client, gates, flood)
        waiting = await queue_two(client, admission, flood)
        asked = asked_at_the_door(admission)
        refused = await client.get("/api/v1/checks/wait/run?n=3", headers=flood)
        assert (refused.status, asked) == (429, ["flood"])
        for gate in gates.values():
            gate.open()
        for answer in [*holding, *waiting]:
            assert (await answer).status == 200

    async def test_a_post_whose_body_comes_after_a_slot_freed_is_admitted(self, client, gates):
        # The door reads a refused POST's body before it looks for its twin: refused as of when the body came, not as
        # of when its headers did (a mutant asking only before the read answered 429 with room in the queue).
        admission = client.app[LIVE].admission
        flood = bearer(TOKEN_FLOOD)
        holding = await hold_both_slots(client, gates, flood)
        waiting = await queue_two(client, admission, flood)
        asked = asked_at_the_door(admission)
        release = asyncio.Event()
        late = asyncio.create_task(
            client.post("/api/v1/checks/wait/run", data=held_body(b'{"n":', b" 3}", release), headers=flood)
        )
        await until(lambda: asked or late.done())
        assert not late.done()
        gates["hold-1"].open()
        assert (await holding[0]).status == 200
        assert not admission.refuses("flood")
        release.set()
        await until(lambda: admission.queued == 2 or late.done())
        for gate in gates.values():
            gate.open()
        answer = await late
        assert answer.status == 200 and (await answer.json())["args"] == {"n": 3}
        for other in [holding[1], *waiting]:
            assert (await other).status == 200

    async def test_a_post_whose_body_comes_after_the_queue_filled_is_refused_as_at_the_door(self, client, gates):
        # Before: let in with room in the queue, then its body parsed and refused once the queue had filled meanwhile,
        # written to the verdict history as the docs promise a request that cannot even be queued never is.
        admission = client.app[LIVE].admission
        flood = bearer(TOKEN_FLOOD)
        holding = await hold_both_slots(client, gates, flood)
        first = asyncio.create_task(client.get("/api/v1/checks/wait/run?n=1", headers=flood))
        await until(lambda: admission.queued == 1)
        asked = asked_at_the_door(admission)
        release = asyncio.Event()
        late = asyncio.create_task(
            client.post("/api/v1/checks/wait/run", data=held_body(b'{"n":', b" 3}", release), headers=flood)
        )
        await until(lambda: asked or late.done())
        assert not late.done()
        second = asyncio.create_task(client.get("/api/v1/checks/wait/run?n=2", headers=flood))
        await until(lambda: admission.queued == 2)
        release.set()
        answer = await late
        assert (answer.status, answer.headers["Retry-After"]) == (429, "3")
        assert (await answer.json())["message"] == "every evaluation slot is busy and the queue is full; retry in 3 s"
        assert client.app[HISTORY].query(limit=10, visible=lambda name: True) == []
        rejected = client.app[METRICS].registry.get_sample_value(
            "analyzer_requests_rejected_total", {"reason": "overloaded"}
        )
        assert rejected == 1
        for gate in gates.values():
            gate.open()
        for other in [*holding, first, second]:
            assert (await other).status == 200

    async def test_a_get_whose_empty_chunked_body_comes_after_the_queue_filled_is_refused_as_at_the_door(
        self, client, gates
    ):
        # Before: a GET made chunked with no bytes (a proxy in front may) passed the door, waited for its body's end,
        # and was refused by admission once the queue had filled meanwhile: parsed, and written to the verdict history.
        admission = client.app[LIVE].admission
        flood = bearer(TOKEN_FLOOD)
        holding = await hold_both_slots(client, gates, flood)
        first = asyncio.create_task(client.get("/api/v1/checks/wait/run?n=1", headers=flood))
        await until(lambda: admission.queued == 1)
        asked = asked_at_the_door(admission)
        # A distinct one, and one identical to the one queued (which joins it, holding no place of its own).
        targets = ["/api/v1/checks/wait/run?n=3", "/api/v1/checks/wait/run?n=1"]
        connections = [await asyncio.open_connection(client.server.host, client.server.port) for _ in targets]
        try:
            for (_, writer), target in zip(connections, targets, strict=True):
                writer.write(rawhttp.request("GET", target, {**flood, "Transfer-Encoding": "chunked"}))
            await until(lambda: len(asked) == 2)
            second = asyncio.create_task(client.get("/api/v1/checks/wait/run?n=2", headers=flood))
            await until(lambda: admission.queued == 2)
            for _, writer in connections:
                writer.write(b"0\r\n\r\n")
            refused = await _answer(connections[0][0])
            assert refused.status == 429
            assert refused.json()["message"] == "every evaluation slot is busy and the queue is full; retry in 3 s"
            assert client.app[HISTORY].query(limit=10, visible=lambda name: True) == []
            for gate in gates.values():
                gate.open()
            assert (await _answer(connections[1][0])).status == 200
        finally:
            for _, writer in connections:
                writer.close()
        for other in [*holding, first, second]:
            assert (await other).status == 200

    async def test_a_post_whose_body_comes_after_the_drain_began_is_turned_away_as_draining(self, client, gates):
        # Before: 429 overloaded on a connection kept open to a replica shutting down (the drain was looked at only
        # before the body was read); a request turned away by the drain gets 503 and its connection closes.
        live = client.app[LIVE]
        flood = bearer(TOKEN_FLOOD)
        holding = await hold_both_slots(client, gates, flood)
        waiting = await queue_two(client, live.admission, flood)
        asked = asked_at_the_door(live.admission)
        release = asyncio.Event()
        late = asyncio.create_task(
            client.post("/api/v1/checks/wait/run", data=held_body(b'{"n":', b" 3}", release), headers=flood)
        )
        await until(lambda: asked or late.done())
        assert not late.done()
        live.draining = True
        release.set()
        answer = await late
        assert (answer.status, (await answer.json())["error"]) == (503, "shutting_down")
        assert answer.headers["Connection"] == "close"
        live.draining = False
        for gate in gates.values():
            gate.open()
        for other in [*holding, *waiting]:
            assert (await other).status == 200

    async def test_without_auth_callers_are_told_apart_by_address(self, aiohttp_client, gates):
        settings = Settings(max_concurrent_evaluations=1, max_queued_evaluations=1, queue_timeout_s=60)
        client = await aiohttp_client(create_app(settings, catalog(), REGISTRY))
        running = asyncio.create_task(client.get("/api/v1/checks/hold-1/run"))
        await gates["hold-1"].wait_entered(1)
        assert client.app[LIVE].admission.shares() == {"127.0.0.1": (1, 0)}
        gates["hold-1"].open()
        assert (await running).status == 200

    async def test_verdict_pages_are_admitted_for_their_user(self, client, gates):
        # The page reads the same bearer header as the API (or its login cookie): each user its own share.
        pages = [
            asyncio.create_task(client.get(f"/ui/checks/hold-{i}/run", headers=bearer(token)))
            for i, token in ((1, TOKEN_FLOOD), (2, TOKEN_OTHER))
        ]
        await gates["hold-1"].wait_entered(1)
        await gates["hold-2"].wait_entered(1)
        assert client.app[LIVE].admission.shares() == {"flood": (1, 0), "other": (1, 0)}
        for gate in gates.values():
            gate.open()
        for page in pages:
            assert (await page).status == 200

    async def test_a_waiter_that_gets_no_slot_in_time_is_refused(self, aiohttp_client, gates):
        settings = Settings(max_concurrent_evaluations=1, max_queued_evaluations=1, queue_timeout_s=0.05)
        client = await aiohttp_client(create_app(settings, catalog(), REGISTRY))
        running = asyncio.create_task(client.get("/api/v1/checks/hold-1/run"))
        await gates["hold-1"].wait_entered(1)
        late = await client.get("/api/v1/checks/wait/run?n=1")
        assert late.status == 429
        assert "no evaluation slot within 0.05 s" in (await late.json())["message"]
        assert client.app[LIVE].admission.queued == 0
        gates["hold-1"].open()
        assert (await running).status == 200


class TestBodiesRefusedAtTheDoor:
    """A POST whose body the door refuses while every slot is busy (too large, stalled, not decodable) is answered
    and kept in the verdict history as it is without overload."""

    @pytest.fixture
    async def client(self, aiohttp_client):
        settings = Settings(
            max_body_bytes=1024, body_read_timeout_s=0.2, max_concurrent_evaluations=2, max_queued_evaluations=0
        )
        return await aiohttp_client(create_app(settings, catalog(), REGISTRY))

    @staticmethod
    async def refusals(client) -> list[tuple[int, str | None]]:
        """The answers to an oversized body, one that does not decode, a stalled one, and an oversized one for a check
        the catalog lacks."""
        headers = {"Content-Type": "application/json"}
        oversized = b'{"n": "' + b"x" * 5000 + b'"}'
        answers = [
            await client.post("/api/v1/checks/wait/run", data=oversized, headers=headers),
            await client.post("/api/v1/checks/wait/run", data=b"xx", headers={**headers, "Content-Encoding": "gzip"}),
        ]
        found = [(answer.status, (await answer.json())["error"]) for answer in answers]
        head = rawhttp.request("POST", "/api/v1/checks/wait/run", headers, content_length=100)
        stalled = await rawhttp.send(client.server.host, client.server.port, head, (b'{"n": "x',))
        found.append((stalled.status, stalled.json()["error"]))
        unknown = await client.post("/api/v1/checks/nope/run", data=oversized, headers=headers)
        return [*found, (unknown.status, (await unknown.json())["error"])]

    @staticmethod
    def recorded(client) -> list[tuple[str, str, int, str | None]]:
        entries = client.app[HISTORY].query(limit=10, visible=lambda name: True)
        return [(entry.check, entry.verdict, entry.http_status, entry.error) for entry in reversed(entries)]

    @staticmethod
    async def resumed(client, sent: bytes, event: asyncio.Event, rest: bytes) -> rawhttp.RawResponse:
        """The answer to `sent`, then `rest` once `event` is set, read with the socket's own calls: a server that
        answers and closes before `rest` resets the connection after its answer, which is read first."""
        loop = asyncio.get_running_loop()
        with socket.socket() as sock:
            sock.setblocking(False)
            raw = b""
            async with asyncio.timeout(HANG_GUARD_S):
                await loop.sock_connect(sock, (client.server.host, client.server.port))
                await loop.sock_sendall(sock, sent)
                await event.wait()
                with contextlib.suppress(ConnectionError):
                    await loop.sock_sendall(sock, rest)
                with contextlib.suppress(ConnectionError):
                    while chunk := await loop.sock_recv(sock, 65536):
                        raw += chunk
                        answer = rawhttp.parse(raw) if b"\r\n\r\n" in raw else None
                        if answer is not None and len(answer.body) >= int(answer.headers.get("content-length", "-1")):
                            break
        return rawhttp.parse(raw)

    EXPECTED = [(413, "body_too_large"), (400, "bad_arg"), (408, "body_timeout"), (404, "check_not_found")]

    async def test_a_refused_body_is_recorded_under_overload_as_without(self, client, gates):
        assert await self.refusals(client) == self.EXPECTED
        unloaded = self.recorded(client)
        assert [status for _, verdict, status, _ in unloaded] == [413, 400, 408, 404]
        assert {verdict for _, verdict, _, _ in unloaded} == {"rejected"}
        holding = await hold_both_slots(client, gates, {})
        assert client.app[LIVE].admission.refuses("127.0.0.1")
        # Before: the same answers, none of them in the history (the door read the body before its try), and 413
        # rather than 404 for the check the catalog lacks.
        assert await self.refusals(client) == self.EXPECTED
        assert self.recorded(client)[len(unloaded) :] == unloaded
        for gate in gates.values():
            gate.open()
        for answer in holding:
            assert (await answer).status == 200

    async def test_a_body_resumed_after_the_door_gave_up_on_it_is_not_read_again(self, client, gates, monkeypatch):
        # The door's read took what had come of the body before it gave up: read again, the rest alone would be the
        # body (here whitespace, then `{"n": 1}`: an evaluation's args, where without overload the answer is 408).
        # The door giving up, as an event to await: the rest of the body is sent after it, never on a guess of time.
        gave_up = asyncio.Event()

        class Observed(web_module.BodyTimeout):
            def __init__(self, message: str) -> None:
                super().__init__(message)
                gave_up.set()

        monkeypatch.setattr(web_module, "BodyTimeout", Observed)
        holding = await hold_both_slots(client, gates, {})
        rest = b'{"n": 1}'
        head = rawhttp.request(
            "POST", "/api/v1/checks/wait/run", {"Content-Type": "application/json"}, content_length=2 + len(rest)
        )
        answer = await self.resumed(client, head + b"  ", gave_up, rest)
        # Were the door's refusal not kept (the body read again): 429, the rest read as the args of an evaluation.
        assert (answer.status, answer.json()["error"]) == (408, "body_timeout")
        for gate in gates.values():
            gate.open()
        for held in holding:
            assert (await held).status == 200

    async def test_an_undeclared_args_value_is_not_kept(self, client, gates):
        # A credential sent the wrong way (`?access_token=` beside a body the door refuses): the entry names the arg,
        # keeps a declared arg's value as given, and never the undeclared one's.
        holding = await hold_both_slots(client, gates, {})
        assert client.app[LIVE].admission.refuses("127.0.0.1")
        oversized = b'{"m": "' + b"x" * 5000 + b'"}'
        answer = await client.post(
            "/api/v1/checks/wait/run?n=1&access_token=tok-9f3e1a",
            data=oversized,
            headers={"Content-Type": "application/json"},
        )
        assert (answer.status, (await answer.json())["error"]) == (413, "body_too_large")
        (entry,) = client.app[HISTORY].query(limit=1, visible=lambda name: True)
        assert entry.args == {"n": "1", "access_token": "<redacted>"}
        page = await (await client.get("/api/v1/verdicts")).text()
        assert "access_token" in page and "tok-9f3e1a" not in page
        for gate in gates.values():
            gate.open()
        for held in holding:
            assert (await held).status == 200
