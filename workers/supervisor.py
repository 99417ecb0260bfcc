"""Talking to supervisord over its unix socket (XML-RPC): start_system, shutdown_system, `!switch_model`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import xmlrpc.client
from pathlib import Path
from typing import Any

from settings import PROJECT_ROOT, Settings

CONFIG = PROJECT_ROOT / "supervisord.conf"


def socket_path(settings: Settings) -> Path:
    return settings.run_dir / "supervisor.sock"


def supervisor_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(DND_ROOT=str(PROJECT_ROOT), DND_PYTHON=sys.executable, VAR_DIR=str(settings.var_dir),
               LOGS_DIR=str(settings.logs_dir))
    return env


def rpc(settings: Settings) -> Any:
    from supervisor.xmlrpc import SupervisorTransport

    transport = SupervisorTransport(None, None, serverurl=f"unix://{socket_path(settings)}")
    return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)


def is_running(settings: Settings) -> bool:
    if not socket_path(settings).exists():
        return False
    try:
        return rpc(settings).supervisor.getState()["statename"] == "RUNNING"
    except (OSError, xmlrpc.client.Fault):
        return False


def launch(settings: Settings, timeout_s: float = 20.0) -> None:
    """Start supervisord (it daemonizes) unless it already runs."""
    if is_running(settings):
        return
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "supervisor.supervisord", "-c", str(CONFIG)],
                   env=supervisor_env(settings), check=True, cwd=PROJECT_ROOT)
    deadline = time.monotonic() + timeout_s
    while not is_running(settings):
        if time.monotonic() > deadline:
            raise RuntimeError(f"supervisord did not answer on {socket_path(settings)}")
        time.sleep(0.1)


def process_info(settings: Settings) -> list[dict[str, Any]]:
    return list(rpc(settings).supervisor.getAllProcessInfo())


def start(settings: Settings, program: str) -> None:
    server = rpc(settings)
    state = server.supervisor.getProcessInfo(program)["statename"]
    if state in ("RUNNING", "STARTING"):
        return
    try:
        server.supervisor.startProcess(program, True)
    except xmlrpc.client.Fault as fault:
        if "ALREADY_STARTED" not in fault.faultString:
            raise


def stop(settings: Settings, program: str) -> None:
    server = rpc(settings)
    if server.supervisor.getProcessInfo(program)["statename"] in ("RUNNING", "STARTING", "BACKOFF"):
        try:
            server.supervisor.stopProcess(program, True)
        except xmlrpc.client.Fault as fault:
            if "NOT_RUNNING" not in fault.faultString:
                raise


def restart(settings: Settings, program: str) -> None:
    stop(settings, program)
    start(settings, program)


def shutdown(settings: Settings, timeout_s: float = 30.0) -> None:
    if not is_running(settings):
        return
    rpc(settings).supervisor.shutdown()
    deadline = time.monotonic() + timeout_s
    while socket_path(settings).exists() and time.monotonic() < deadline:
        try:
            rpc(settings).supervisor.getState()
        except (OSError, xmlrpc.client.Fault):
            break
        time.sleep(0.2)
