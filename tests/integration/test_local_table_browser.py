"""The local table's page in a real headless Chromium, driven through the Chrome DevTools Protocol.

No selenium or playwright: Chromium is started with `--remote-debugging-port=0`, the port is read from the
`DevToolsActivePort` file it writes in its profile, and the page is driven over the DevTools websocket with
aiohttp. A player types into the page's own form (real key events); the test waits until the page's DOM
shows the Dungeon Master's answers, as a player would see them.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.system import SystemUnderTest, new_player_id

pytestmark = [pytest.mark.browser, pytest.mark.system]

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")
START_TIMEOUT_S = 30.0
REPLY_TIMEOUT_S = 60.0
NARRATION_TIMEOUT_S = 120.0
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def chromium_path() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """A headless Chromium with its own profile; yields (process, DevTools port) and kills it afterwards."""
    binary = chromium_path()
    if binary is None:
        pytest.skip("Chromium is not installed (`make browser-deps` installs Debian's chromium as root)")
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    log_file = (tmp_path / "chromium.log").open("wb")
    process = subprocess.Popen(
        [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,900", f"--user-data-dir={profile}",
         "--remote-debugging-port=0", "about:blank"],
        stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + START_TIMEOUT_S
        while not (port_file.exists() and port_file.read_text().strip()):
            if process.poll() is not None or time.monotonic() > deadline:
                log_file.flush()
                pytest.fail(f"Chromium did not start (exit {process.poll()}):\n"
                            f"{(tmp_path / 'chromium.log').read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)
        port = int(port_file.read_text().splitlines()[0])
        yield process, port
    finally:
        _kill_group(process)
        log_file.close()


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Chromium forks renderer/GPU/utility processes: end the whole session it leads (ours alone)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)


class DevTools:
    """A minimal Chrome DevTools Protocol client for one page target."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._events: list[dict[str, Any]] = []
        self._event_arrived = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            data = json.loads(message.data)
            if "id" in data:
                future = self._pending.pop(data["id"], None)
                if future is not None and not future.done():
                    future.set_result(data)
            else:
                self._events.append(data)
                self._event_arrived.set()
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionError("the DevTools connection closed"))

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        command_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[command_id] = future
        await self.ws.send_json({"id": command_id, "method": method, "params": params})
        answer = await asyncio.wait_for(future, 30)
        if "error" in answer:
            raise RuntimeError(f"{method} failed: {answer['error']}")
        return dict(answer.get("result", {}))

    async def wait_event(self, method: str, timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            for index, event in enumerate(self._events):
                if event.get("method") == method:
                    del self._events[: index + 1]
                    return event
            self._event_arrived.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {method} event within {timeout}s")
            try:
                await asyncio.wait_for(self._event_arrived.wait(), remaining)
            except TimeoutError:
                pass

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page error: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_until(self, expression: str, timeout: float, what: str) -> Any:
        """Polls a JavaScript expression until it returns something truthy; returns that value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = await self.evaluate(expression)
            if value:
                return value
            await asyncio.sleep(0.25)
        shown = await self.evaluate(BOT_TEXTS_JS)
        raise AssertionError(f"{what}: not shown within {timeout}s; the page's bot messages: {shown[-10:]}")

    async def close(self) -> None:
        self._reader.cancel()
        await self.ws.close()


BOT_TEXTS_JS = "[...document.querySelectorAll('#log .msg.bot')].map(m => m.textContent)"


@asynccontextmanager
async def devtools(port: int) -> AsyncIterator[DevTools]:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"http://127.0.0.1:{port}/json/list") as answer:
            targets = await answer.json()
        page = next(t for t in targets if t.get("type") == "page")
        async with session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
            client = DevTools(ws)
            try:
                yield client
            finally:
                await client.close()


async def type_and_send(page: DevTools, text: str) -> None:
    """Types into the message box and presses Enter, as a player does (trusted input events)."""
    await page.evaluate("document.getElementById('content').focus()")
    await page.send("Input.insertText", text=text)
    assert await page.evaluate("document.getElementById('content').value") == text
    for kind in ("keyDown", "keyUp"):
        await page.send("Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter", windowsVirtualKeyCode=13,
                        nativeVirtualKeyCode=13, **({"text": "\r"} if kind == "keyDown" else {}))
    # The page's submit handler empties the box once it has taken the message.
    await page.wait_until("document.getElementById('content').value === ''", 10, "the form was submitted")


def test_a_player_at_the_table_in_chromium(system: SystemUnderTest,
                                           chromium: tuple[subprocess.Popen[bytes], int], tmp_path: Path) -> None:
    _, port = chromium
    player = new_player_id()
    name = f"Browser{player % 10_000}"
    token = uuid.uuid4().hex[:8]
    narrative = f"I study the faded mural of the dragon {token}"

    async def scenario() -> None:
        async with devtools(port) as page:
            await page.send("Page.enable")
            await page.send("Runtime.enable")
            await page.send("Emulation.setDeviceMetricsOverride", width=1280, height=900, deviceScaleFactor=1,
                            mobile=False)
            await page.send("Page.navigate", url=system.table_url + "/")
            await page.wait_event("Page.loadEventFired")
            info = await page.wait_until("document.getElementById('info').textContent", 20, "the table's info")
            assert f"Channel {system.channel_id}" in info

            await page.evaluate(f"""(() => {{
                const id = document.getElementById('author-id');
                id.value = '{player}'; id.dispatchEvent(new Event('input', {{bubbles: true}}));
                const name = document.getElementById('author-name');
                name.value = '{name}'; name.dispatchEvent(new Event('input', {{bubbles: true}}));
            }})()""")
            # The page loads the table's history first; only what arrives after our messages counts.
            await asyncio.sleep(1.0)
            before = len(await page.evaluate(BOT_TEXTS_JS))

            # A command: its answer is posted at once.
            await type_and_send(page, "!roll 1d1+1")
            await page.wait_until(
                f"[...document.querySelectorAll('#log .msg.player')].some(m => m.textContent.includes('{name}')"
                " && m.textContent.includes('!roll 1d1+1'))", 20, "the player's own message")
            roll = await page.wait_until(
                f"[...document.querySelectorAll('#log .msg.bot')].slice({before}).map(m => m.textContent)"
                ".find(t => t.includes('rolls') && t.includes('1d1') && /(^|\\D)2(\\D|$)/.test(t))",
                REPLY_TIMEOUT_S, "the roll's result")
            assert "2" in roll

            # A narrative message: batched into a turn, narrated, shown in the channel.
            await type_and_send(page, narrative)
            narration_id = await page.wait_until(
                f"(() => {{ const m = [...document.querySelectorAll('#log .msg.bot')].slice({before})"
                f".find(m => m.textContent.includes('{token}') && !m.classList.contains('dm'));"
                " return m ? m.dataset.id : null; })()",
                NARRATION_TIMEOUT_S, "the narration of the batched turn")
            shot = await page.send("Page.captureScreenshot", format="png", captureBeyondViewport=False)
            png = base64.b64decode(shot["data"])

        # The DOM element is the turn's narration the table published (not an echo of the player's message).
        [(_, fields)] = system.redis.xrange("table:events", narration_id, narration_id)
        narration = json.loads(fields["event"])
        assert narration["kind"] == "bot" and narration["meta"].get("turn_id"), narration
        assert narration["channel"] == system.channel_id

        screenshot = tmp_path / "local_table.png"
        screenshot.write_bytes(png)
        assert screenshot.stat().st_size > 1000 and screenshot.read_bytes().startswith(PNG_MAGIC)

    asyncio.run(asyncio.wait_for(scenario(), timeout=NARRATION_TIMEOUT_S + REPLY_TIMEOUT_S + 60))
