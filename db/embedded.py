"""Embedded PostgreSQL 16 + pgvector from the `pgserver` package, run in the foreground under supervisord.

`python -m db.embedded` initialises `var/pgdata` when missing and replaces itself with `postgres`
(listening only on a unix socket under `var/run/pg`). PostgreSQL refuses to run as root, so as root it
drops to the `pgserver` system user, as pgserver itself does.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

from settings import Settings, get_settings

SYSTEM_USER = "pgserver"
POSTGRES_SUPERUSER = "postgres"


def postgres_bin_dir() -> Path:
    import pgserver

    return Path(pgserver.__file__).resolve().parent / "pginstall" / "bin"


def _system_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "-s", "/bin/sh", SYSTEM_USER], check=True, capture_output=True)
        return pwd.getpwnam(SYSTEM_USER)


def _make_traversable(path: Path) -> None:
    """The postgres user must be able to reach the data dir and the binaries through every parent."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if mode & 0o005 != 0o005:
            parent.chmod(mode | 0o005)


def prepare(settings: Settings) -> pwd.struct_passwd | None:
    """Create the data and socket directories and run initdb once; returns the user postgres runs as."""
    user = _system_user()
    data_dir, socket_dir = settings.pg_data_dir, settings.pg_socket_dir
    socket_dir.mkdir(parents=True, exist_ok=True)
    bin_dir = postgres_bin_dir()
    if user is not None:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        for path in (data_dir, socket_dir, bin_dir):
            _make_traversable(path)
        shutil.chown(data_dir, user.pw_uid, user.pw_gid)
        shutil.chown(socket_dir, user.pw_uid, user.pw_gid)
        for child in bin_dir.iterdir():
            child.chmod(child.stat().st_mode | 0o055)
    if not (data_dir / "PG_VERSION").exists():
        cmd = [str(bin_dir / "initdb"), "-D", str(data_dir), "-U", POSTGRES_SUPERUSER, "--auth=trust",
               "--encoding=utf8", "--no-sync"]
        subprocess.run(cmd, check=True, capture_output=True, preexec_fn=_drop_to(user))
    return user


def _drop_to(user: pwd.struct_passwd | None):  # type: ignore[no-untyped-def]
    def demote() -> None:
        if user is not None:
            os.setgid(user.pw_gid)
            os.initgroups(user.pw_name, user.pw_gid)
            os.setuid(user.pw_uid)

    return demote


def server_command(settings: Settings) -> list[str]:
    return [
        str(postgres_bin_dir() / "postgres"), "-D", str(settings.pg_data_dir),
        "-k", str(settings.pg_socket_dir), "-c", "listen_addresses=",
        "-c", "max_connections=200", "-c", "shared_buffers=128MB",
        "-c", "unix_socket_permissions=0777",
    ]


def main() -> None:
    settings = get_settings()
    user = prepare(settings)
    cmd = server_command(settings)
    _drop_to(user)()
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main()
