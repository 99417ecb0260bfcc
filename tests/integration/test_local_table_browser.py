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
import re
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

import keys
from tests.integration.test_characters import fighter, seed
from tests.srd_paths import PROJECT_ROOT
from tests.system import SystemUnderTest, new_player_id

pytestmark = [pytest.mark.browser, pytest.mark.system]

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")
START_TIMEOUT_S = 30.0
REPLY_TIMEOUT_S = 60.0
NARRATION_TIMEOUT_S = 120.0
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PAGE_FILE = PROJECT_ROOT / "gateway" / "local_table.html"
EMOJI_FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")  # Debian's fonts-noto-color-emoji
PHONE_WIDTH = 390


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


async def type_and_send(page: DevTools, text: str, box: str = "content") -> None:
    """Types into a message box (`content`: the channel's, `dm-content`: the DMs') and presses Enter, as a
    player does (trusted input events)."""
    await page.evaluate(f"document.getElementById('{box}').focus()")
    await page.send("Input.insertText", text=text)
    assert await page.evaluate(f"document.getElementById('{box}').value") == text
    for kind in ("keyDown", "keyUp"):
        await page.send("Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter", windowsVirtualKeyCode=13,
                        nativeVirtualKeyCode=13, **({"text": "\r"} if kind == "keyDown" else {}))
    # The page's submit handler empties the box once it has taken the message.
    await page.wait_until(f"document.getElementById('{box}').value === ''", 10, "the form was submitted")


async def play_as(page: DevTools, player: int, name: str) -> None:
    """Picks who the page plays as, as a player does in the top bar's fields."""
    await page.evaluate(f"""(() => {{
        const id = document.getElementById('author-id');
        id.value = '{player}'; id.dispatchEvent(new Event('input', {{bubbles: true}}));
        const name = document.getElementById('author-name');
        name.value = {json.dumps(name)}; name.dispatchEvent(new Event('input', {{bubbles: true}}));
    }})()""")


async def click(page: DevTools, element_js: str, what: str) -> None:
    """A real mouse click (trusted events) in the middle of the element the JavaScript expression finds."""
    box = await page.evaluate(f"""(() => {{ const el = {element_js}; if (!el) return null;
        el.scrollIntoView({{block: 'center'}}); const r = el.getBoundingClientRect();
        return [r.left + r.width / 2, r.top + r.height / 2]; }})()""")
    assert box, f"{what}: not on the page"
    x, y = box
    await page.send("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
    for kind in ("mousePressed", "mouseReleased"):
        await page.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)


async def open_table(page: DevTools, url: str, width: int = 1280, height: int = 900, mobile: bool = False) -> None:
    await page.send("Page.enable")
    await page.send("Runtime.enable")
    await page.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                    mobile=mobile)
    await page.send("Page.navigate", url=url)
    await page.wait_event("Page.loadEventFired")


def test_a_player_at_the_table_in_chromium(system: SystemUnderTest,
                                           chromium: tuple[subprocess.Popen[bytes], int], tmp_path: Path) -> None:
    _, port = chromium
    player = new_player_id()
    name = f"Browser{player % 10_000}"
    token = uuid.uuid4().hex[:8]
    narrative = f"I study the faded mural of the dragon {token}"

    async def scenario() -> None:
        async with devtools(port) as page:
            await open_table(page, system.table_url + "/")
            info = await page.wait_until("document.getElementById('info').textContent", 20, "the table's info")
            assert f"Channel {system.channel_id}" in info

            await play_as(page, player, name)
            # The page loads the table's history first; only what arrives after our messages counts.
            await asyncio.sleep(1.0)
            before = len(await page.evaluate(BOT_TEXTS_JS))

            # A command: its answer is posted at once.
            await type_and_send(page, "!roll 1d1+1")
            # Messages are grouped per author: the name is the group's, above its messages.
            await page.wait_until(
                "[...document.querySelectorAll('#log .msg.player')].some(m => m.textContent.includes('!roll 1d1+1')"
                f" && m.closest('.group').querySelector('.name').textContent === '{name}')", 20,
                "the player's own message")
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


# --------------------------------------------------------------------------- the page's rendering

# Discord's Markdown as the page renders it: (typed, the HTML the page shows).
MARKDOWN_CASES = [
    ("🎲 **Aria** rolls **Perception**: 1d20 (2) + 5 = `7`",
     "🎲 <strong>Aria</strong> rolls <strong>Perception</strong>: 1d20 (2) + 5 = <code>7</code>"),
    ("*italic* _also_ __underline__ ~~gone~~ ***both*** __*mixed*__",
     "<em>italic</em> <em>also</em> <u>underline</u> <s>gone</s> <strong><em>both</em></strong> <u><em>mixed</em></u>"),
    ("snake_case_name, 2 * 3 * 4 and \\*not italic\\*", "snake_case_name, 2 * 3 * 4 and *not italic*"),
    ("> a quote\n> on two lines\nafter", "<blockquote>a quote\non two lines</blockquote>after"),
    (">>> the rest\nof the message", "<blockquote>the rest\nof the message</blockquote>"),
    ("```py\nprint('<b>' + \"**\")\n```\nafter", "<pre><code>print('&lt;b&gt;' + \"**\")</code></pre>after"),
    ("`` a`b `` and `**not bold**`", "<code>a`b</code> and <code>**not bold**</code>"),
    ("# The Sunken Lantern\n- a torch\n- **two** rations\n1. first", "<h1>The Sunken Lantern</h1>"
     "<ul><li>a torch</li><li><strong>two</strong> rations</li></ul><ol start=\"1\"><li>first</li></ol>"),
    ("<img src=x onerror=alert(1)> <script>alert(2)</script>",
     "&lt;img src=x onerror=alert(1)&gt; &lt;script&gt;alert(2)&lt;/script&gt;"),
    ("**<b>x</b>** [bad](javascript:alert(1))", "<strong>&lt;b&gt;x&lt;/b&gt;</strong> [bad](javascript:alert(1))"),
]

MARKDOWN_JS = """((cases) => cases.map(([typed]) => { const div = document.createElement('div');
    div.innerHTML = markdown(typed); return div.innerHTML; }))"""


def test_the_page_renders_discords_markdown_safely(chromium: tuple[subprocess.Popen[bytes], int]) -> None:
    """The page's own renderer, in Chromium, on the page file itself (no system needed)."""
    _, port = chromium

    async def scenario() -> None:
        async with devtools(port) as page:
            await open_table(page, PAGE_FILE.as_uri())
            shown = await page.evaluate(f"{MARKDOWN_JS}({json.dumps(MARKDOWN_CASES)})")
            for (typed, expected), html in zip(MARKDOWN_CASES, shown, strict=True):
                assert html == expected, (typed, html)

            # Mentions show the player's name where the page knows it; spoilers hide until clicked; only
            # http(s) links become links.
            parts = await page.evaluate("""(() => { learnName('42', 'Fay <i>the Bold</i>');
                table.channel = 1000;
                const div = document.createElement('div');
                div.innerHTML = markdown('<@42>, <@!42> and <@7> in <#1000>: ||the mayor is the lich|| '
                                         + '[the rules](https://example.org/srd) https://example.org/a.');
                document.body.appendChild(div);
                const spoiler = div.querySelector('.spoiler');
                const hidden = getComputedStyle(spoiler.firstElementChild).visibility;
                spoiler.click();
                return {mentions: [...div.querySelectorAll('.mention')].map(m => m.textContent),
                        italics: div.querySelectorAll('i').length, hidden,
                        revealed: getComputedStyle(spoiler.firstElementChild).visibility,
                        spoiler: spoiler.textContent,
                        links: [...div.querySelectorAll('a')].map(a => [a.textContent, a.getAttribute('href')])};
            })()""")
            assert parts["mentions"] == ["@Fay <i>the Bold</i>", "@Fay <i>the Bold</i>", "@Player 7", "#table"]
            assert parts["italics"] == 0
            assert (parts["hidden"], parts["revealed"], parts["spoiler"]) == ("hidden", "visible",
                                                                               "the mayor is the lich")
            assert parts["links"] == [["the rules", "https://example.org/srd"],
                                      ["https://example.org/a", "https://example.org/a"]]

    asyncio.run(asyncio.wait_for(scenario(), timeout=60))


def test_emoji_are_drawn_with_the_colour_emoji_font(chromium: tuple[subprocess.Popen[bytes], int]) -> None:
    if not EMOJI_FONT.exists():
        pytest.skip("fonts-noto-color-emoji is not installed (`make browser-deps` installs it as root)")
    _, port = chromium

    async def scenario() -> None:
        async with devtools(port) as page:
            await open_table(page, PAGE_FILE.as_uri())
            await page.send("DOM.enable")
            await page.send("CSS.enable")
            document = await page.send("DOM.getDocument")
            found = await page.send("DOM.querySelector", nodeId=document["root"]["nodeId"], selector="#topbar .brand")
            fonts = await page.send("CSS.getPlatformFontsForNode", nodeId=found["nodeId"])
            families = [font["familyName"] for font in fonts["fonts"]]
            assert "Noto Color Emoji" in families, families  # the 🎲, not an empty box

    asyncio.run(asyncio.wait_for(scenario(), timeout=60))


def roll_answer_js(name: str) -> str:
    """The bot's answer to `name`'s `!roll … Perception`, as the page shows it."""
    # The name and the label, then any die face the roll shows in bold (a natural 1 or 20).
    bold = json.dumps(f"{name}|Perception")
    return f"""(() => {{
        const m = [...document.querySelectorAll('#log .msg.bot')].find(m =>
            ([...m.querySelectorAll('.text strong')].map(s => s.textContent).join('|') + '|').startsWith({bold} + '|'));
        if (!m) return null;
        return {{id: m.dataset.id, text: m.querySelector('.text').textContent,
                 code: [...m.querySelectorAll('.text code')].map(c => c.textContent),
                 author: m.closest('.group').querySelector('.name').textContent,
                 time: m.closest('.group').querySelector('.group-head time').textContent}};
    }})()"""


def stream_event(system: SystemUnderTest, event_id: str) -> dict[str, Any]:
    [(_, fields)] = system.redis.xrange("table:events", event_id, event_id)
    return dict(json.loads(fields["event"]))


def test_a_session_at_the_table_page(system: SystemUnderTest, chromium: tuple[subprocess.Popen[bytes], int],
                                     tmp_path: Path) -> None:
    """Two players at the page: a roll rendered as Discord renders it, the sheet in the character panel,
    markup typed by a player shown as text, a trade offer accepted with the ✅ button, the typing indicator,
    and the same page at a phone's width."""
    _, port = chromium
    aria, bram, mallory = new_player_id(), new_player_id(), new_player_id()
    aria_name, bram_name = f"Aria{aria % 10_000}", f"Bram{bram % 10_000}"
    evil_name = "<img src=x onerror=\"window.__xss='name'\">"
    xss_lines = ["<img src=x onerror=\"window.__xss='img'\">", "<script>window.__xss='script'</script>",
                 "**<b onmouseover=\"window.__xss='b'\">hi</b>** [link](javascript:window.__xss='link')"]
    seed(system, aria, fighter(aria_name))
    seed(system, bram, fighter(bram_name))
    system.set_presence(bram, "online")
    # Bram has spoken at the table under his name: the page knows it.
    system.replies_to(system.say(bram, "!roll 1d4", name=bram_name))

    async def scenario() -> None:
        async with devtools(port) as page:
            await open_table(page, system.table_url + "/")
            await page.wait_until("document.getElementById('info').textContent", 20, "the table's info")
            await play_as(page, aria, aria_name)

            # A roll: the bold parts are <strong>, the total is <code>, no Markdown left as typed.
            await type_and_send(page, "!roll 1d20+5 Perception")
            roll = await page.wait_until(roll_answer_js(aria_name), REPLY_TIMEOUT_S, "the roll's answer")
            content = stream_event(system, roll["id"])["content"]
            total = content.rsplit("`", 2)[1]
            face = int(total) - 5
            shown_face = f"**{face}**" if face in (1, 20) else str(face)  # a natural 1 or 20 is bold
            natural = {1: " — Natural 1!", 20: " — Natural 20!"}.get(face, "")
            assert content == (f"🎲 **{aria_name}** rolls **Perception**: 1d20 ({shown_face}) + 5 = `{total}`"
                               f"{natural}"), content
            assert roll["code"] == [total] and "*" not in roll["text"] and "`" not in roll["text"]
            assert roll["text"] == content.replace("**", "").replace("`", "")
            assert roll["author"] == "Dungeon Master" and re.search(r"\d{1,2}:\d{2}", roll["time"]), roll

            # The character panel: the button asks for !my_sheet in DMs and shows the answer's embed as a card.
            await click(page, "document.getElementById('sheet-refresh')", "the sheet button")
            sheet = await page.wait_until(f"""(() => {{ const card = document.querySelector('#sheet .embed');
                if (!card || !card.querySelector('.embed-title').textContent.startsWith({json.dumps(aria_name)}))
                  return null;
                return {{title: card.querySelector('.embed-title').textContent,
                         description: card.querySelector('.embed-description').textContent,
                         fields: [...card.querySelectorAll('.embed-field-name')].map(f => f.textContent),
                         bold: card.querySelector('.embed-field-value strong')?.textContent}}; }})()""",
                REPLY_TIMEOUT_S, "the sheet in the character panel")
            assert "Fighter" in sheet["title"] and sheet["description"].startswith("Level 1")
            assert {"Ability scores", "Combat", "Inventory", "Wealth"} <= set(sheet["fields"]), sheet
            assert sheet["bold"] == "STR"
            # The question and its answer are in the DM pane (Aria's alone), not the channel.
            asked = await page.wait_until(
                "(() => { const ask = document.querySelector('#dm-log .msg.dm.player');"
                " const answer = document.querySelector('#dm-log .msg.dm.bot .embed .embed-field')?.closest('.msg');"
                " return ask?.textContent.includes('!my_sheet') && answer ? [ask.dataset.id, answer.dataset.id] : null;"
                " })()", 10, "the DM pane")
            assert [stream_event(system, event_id)["dm_user_id"] for event_id in asked] == [aria, aria]
            assert await page.evaluate(f"{json.dumps(asked)}.filter(id => "
                                       "document.querySelector(`#log [data-id=\"${id}\"]`)).length") == 0

            # Markup typed by a player (and in their name) is shown as text, never run.
            await play_as(page, mallory, evil_name)
            for line in xss_lines:
                await type_and_send(page, line)
            shown = await page.wait_until(f"""(() => {{
                const mine = [...document.querySelectorAll('#log .msg.player')]
                  .filter(m => m.closest('.group').querySelector('.name').textContent === {json.dumps(evil_name)});
                return mine.length === 3 ? mine.map(m => m.querySelector('.text').textContent) : null; }})()""",
                20, "the typed markup")
            assert shown[:2] == xss_lines[:2]
            assert shown[2] == "<b onmouseover=\"window.__xss='b'\">hi</b> [link](javascript:window.__xss='link')"
            await asyncio.sleep(1.0)  # an image's onerror would have fired by now
            assert await page.evaluate("""({xss: window.__xss ?? null,
                injected: document.querySelectorAll('#log img, #log script, #log b, #dm-log img').length,
                links: [...document.querySelectorAll('#log a')].filter(a => !/^https?:/.test(a.href)).length})""") \
                == {"xss": None, "injected": 0, "links": 0}
            # Messages are grouped per author: no two groups in a row are the same author's within minutes.
            assert await page.evaluate("""(() => { const groups = [...document.querySelectorAll('#log .group')];
                return groups.every((g, i) => i === 0 || g.dataset.author !== groups[i - 1].dataset.author
                    || Number(g.dataset.last) - Number(groups[i - 1].dataset.last) >= 7 * 60 * 1000
                    || g.previousElementSibling.classList.contains('day')); })()""")

            # A trade offer: the mention shows Bram's name, ✅ and ❌ are buttons; Bram accepts with ✅.
            await play_as(page, aria, aria_name)
            await type_and_send(page, f"!trade_item 5gp <@{bram}>")
            offer_js = (f"[...document.querySelectorAll('#log .msg.bot')].find(m => m.querySelector("
                        f"'.mention[data-user=\"{bram}\"]') && m.querySelector('.reaction[data-emoji=\"✅\"]'))")
            offer_id = await page.wait_until(f"{offer_js}?.dataset.id", REPLY_TIMEOUT_S, "the trade offer")
            offer = stream_event(system, offer_id)
            assert offer["meta"].get("awaiting") == "trade" and offer["reactions"] == ["✅", "❌"], offer
            assert await page.evaluate(f"""(() => {{ const m = {offer_js};
                return [m.querySelector('.mention').textContent,
                        [...m.querySelectorAll('.reaction')].map(b => b.textContent)]; }})()""") \
                == [f"@{bram_name}", ["✅1", "❌1"]]
            await play_as(page, bram, bram_name)
            assert await page.evaluate(f"{offer_js}.classList.contains('mentions-me')")
            await click(page, f"{offer_js}.querySelector('.reaction[data-emoji=\"✅\"]')", "the ✅ button")
            await page.wait_until(
                "[...document.querySelectorAll('#log .msg.bot')].some(m => m.textContent.includes('Trade done'))",
                REPLY_TIMEOUT_S, "the settled trade")
            reacted = [json.loads(fields["event"]) for _, fields in system.redis.xrange("table:events", offer_id)]
            assert [(e["user_id"], e["emoji"]) for e in reacted
                    if e.get("kind") == "reaction" and e["message_id"] == offer_id] == [(bram, "✅")]
            assert await page.wait_until(
                f"(b => b.classList.contains('mine') && b.textContent === '✅2')"
                f"({offer_js}.querySelector('.reaction[data-emoji=\"✅\"]'))", 10, "Bram's reaction on the button")

            # The typing indicator follows the gateway's /api/typing (here: a turn in flight in Bram's DMs).
            busy = f"dm:{bram}"
            system.redis.hset(keys.turn(busy), mapping={"turn_id": "browser-typing", "updated_at": time.time() + 600})
            system.redis.sadd(keys.turns_in_flight(), busy)
            try:
                await page.wait_until("document.getElementById('dm-typing').textContent.includes('is typing')",
                                      10, "the typing indicator")
            finally:
                system.redis.srem(keys.turns_in_flight(), busy)
                system.redis.delete(keys.turn(busy))
            await page.wait_until("document.getElementById('dm-typing').textContent === ''", 10,
                                  "the typing indicator gone")
            desktop = await page.send("Page.captureScreenshot", format="png")

            # A phone's width: one pane at a time behind tabs, and nothing wider than the screen.
            await page.send("Emulation.setDeviceMetricsOverride", width=PHONE_WIDTH, height=844, deviceScaleFactor=1,
                            mobile=True)
            await asyncio.sleep(0.5)
            for tab, pane in (("dms", "dm-pane"), ("sheet", "sheet-pane"), ("channel", "channel-pane")):
                await click(page, f"document.querySelector('#tabs [data-tab=\"{tab}\"]')", f"the {tab} tab")
                layout = await page.evaluate(f"""(() => {{ const pane = document.getElementById('{pane}');
                    const box = pane.getBoundingClientRect();
                    const shown = ['channel-pane', 'dm-pane', 'sheet-pane']
                      .filter(p => document.getElementById(p).getClientRects().length);
                    // (the row of command chips above the message box is a strip that scrolls on its own, and a
                    // reply's one-line quote of its question ends in an ellipsis)
                    const wide = [...pane.querySelectorAll('*')].filter(e => e.getClientRects().length
                      && e.getBoundingClientRect().right > innerWidth + 0.5 && !e.closest('.quick, .reply-ref')).length;
                    const scrollers = [...pane.querySelectorAll('.log, #sheet')]
                      .filter(e => e.scrollWidth > e.clientWidth).length;
                    return {{shown, left: box.left, right: box.right, innerWidth, scrollers, wide,
                             scroll: document.documentElement.scrollWidth, body: document.body.scrollWidth}};
                }})()""")
                assert layout == {"shown": [pane], "left": 0, "right": PHONE_WIDTH, "innerWidth": PHONE_WIDTH,
                                  "scroll": PHONE_WIDTH, "body": PHONE_WIDTH, "scrollers": 0, "wide": 0}, (tab, layout)
            phone = await page.send("Page.captureScreenshot", format="png")

        for name, shot in (("desktop", desktop), ("phone", phone)):
            png = base64.b64decode(shot["data"])
            (tmp_path / f"local_table_{name}.png").write_bytes(png)
            assert png.startswith(PNG_MAGIC) and len(png) > 1000

    asyncio.run(asyncio.wait_for(scenario(), timeout=4 * REPLY_TIMEOUT_S + 120))


def test_a_level_up_at_the_page_with_its_menus_and_the_confirm_button(
        system: SystemUnderTest, chromium: tuple[subprocess.Popen[bytes], int]) -> None:
    """The level-up in the DM pane: each short answer list is a row of buttons (one click answers; where two are
    asked, two clicks), and the summary is confirmed with the ✅ reaction button, as on Discord."""
    _, port = chromium
    player = new_player_id()
    name = f"Lev{player % 10_000}"
    seed(system, player, fighter(name).model_copy(update={"xp": 300}))
    last = "[...document.querySelectorAll('#dm-log .msg.bot')].at(-1)"

    async def scenario() -> None:
        async with devtools(port) as page:
            await open_table(page, system.table_url + "/")
            await page.wait_until("document.getElementById('info').textContent", 20, "the table's info")
            await play_as(page, player, name)

            async def pick(value: str, asked: str) -> None:
                button = f"{last}?.querySelector('.choice[data-value=\"{value}\"]')"
                await page.wait_until(f"{last}?.textContent.includes('{asked}') && {button} ? true : null",
                                      REPLY_TIMEOUT_S, f"the {value} button")
                await click(page, button, f"the {value} button")

            await type_and_send(page, "!level_up", box="dm-content")
            await pick("Rogue", "Which class gains the level")  # multiclassing, from the menu
            await pick("average", "Hit points")
            await pick("Stealth", "skill")
            await pick("Athletics", "Expertise")  # two are asked: the first click only marks it
            await asyncio.sleep(1.0)
            assert await page.evaluate(f"{last}.querySelector('.choice.picked')?.dataset.value") == "Athletics"
            assert "Expertise" in await page.evaluate(f"{last}.textContent")
            await pick("Perception", "Expertise")
            confirm = f"{last}?.querySelector('.reaction[data-emoji=\"✅\"]')"
            await page.wait_until(f"{last}?.textContent.includes('Confirm') && {confirm} ? true : null",
                                  REPLY_TIMEOUT_S, "the confirmation's ✅ button")
            await click(page, confirm, "the ✅ button")
            await page.wait_until(f"{last}?.querySelector('.text').textContent.includes('🎉') ? true : null",
                                  REPLY_TIMEOUT_S,
                                  "the level reached")

    asyncio.run(asyncio.wait_for(scenario(), timeout=4 * REPLY_TIMEOUT_S))
    stored = system.sql("SELECT sheet FROM characters WHERE player_id = :p", p=player)[0].sheet
    assert stored["class_levels"] == {"Fighter": 1, "Rogue": 1} and {"Athletics", "Perception"} <= set(
        stored["expertise"])
    said = [json.loads(fields["event"]) for _, fields in system.redis.xrange("table:events", "-", "+")]
    assert "Athletics, Perception" in [e["content"] for e in said if e.get("kind") == "player"
                                       and e.get("author_id") == player]
