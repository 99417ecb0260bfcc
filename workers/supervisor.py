"""Talking to supervisord over its unix socket (XML-RPC): start_system, shutdown_system, `!switch_model`."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
import xmlrpc.client
from pathlib import Path
from typing import Any

import psutil

from settings import PROJECT_ROOT, Settings

CONFIG = PROJECT_ROOT / "supervisord.conf"
# An orphan whose log pipe lost its reader may block on a write and never finish a warm shutdown; nothing is
# lost by killing it (tasks are acknowledged late, the stores recover from their logs).
ORPHAN_STOP_TIMEOUT_S = 10.0

log = logging.getLogger("supervisor")


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


def orphans(settings: Settings) -> list[psutil.Process]:
    """Processes of this system (they carry its VAR_DIR) left running by a supervisord that died (kill -9, a
    crash): they hold the sockets, ports and data directories that a new supervisord's programs need."""
    var_dir = str(settings.var_dir)
    ours = {os.getpid(), *(parent.pid for parent in psutil.Process().parents())}
    found = []
    for process in psutil.process_iter(["pid"]):
        if process.pid in ours:
            continue
        try:
            environ = process.environ()
            # Redis and PostgreSQL rewrite their process title over their environment: their command line
            # still names a path under VAR_DIR (the socket, the data directory).
            if (environ.get("VAR_DIR") == var_dir and environ.get("DND_ROOT")) or any(
                    var_dir + os.sep in argument for argument in process.cmdline()):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def _is_store(process: psutil.Process) -> bool:
    try:
        return process.name().startswith(("redis-server", "postgres"))
    except psutil.NoSuchProcess:
        return False


def _terminate(processes: list[psutil.Process], timeout_s: float) -> None:
    for process in processes:
        try:
            # PostgreSQL's fast shutdown is SIGINT (TERM waits for every client to leave).
            process.send_signal(signal.SIGINT if process.name().startswith("postgres") else signal.SIGTERM)
        except psutil.NoSuchProcess:
            continue
    _, alive = psutil.wait_procs(processes, timeout=timeout_s)
    for process in alive:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            continue
    psutil.wait_procs(alive, timeout=5)


def stop_orphans(settings: Settings, timeout_s: float = ORPHAN_STOP_TIMEOUT_S) -> int:
    """TERM (then KILL) what a dead supervisord left behind; only called while no supervisord runs. The stores
    stop last, as in shutdown_system: a worker's warm shutdown still needs Redis to hand back its task."""
    left = orphans(settings)
    if not left:
        return 0
    log.warning("supervisord is gone but %d of its processes still run: stopping them (%s)", len(left),
                ", ".join(f"{p.pid}" for p in left))
    _terminate([p for p in left if not _is_store(p)], timeout_s)
    _terminate([p for p in left if _is_store(p)], timeout_s)
    return len(left)


def launch(settings: Settings, timeout_s: float = 20.0) -> None:
    """Start supervisord (it daemonizes) unless it already runs; first stop what a dead one left running."""
    if is_running(settings):
        return
    stop_orphans(settings)
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
