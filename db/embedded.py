"""Embedded PostgreSQL 16 + pgvector from the `pgserver` package, run in the foreground under supervisord.

`python -m db.embedded` initialises `var/pgdata` when missing and replaces itself with `postgres`
(listening only on a unix socket under `var/run/pg`). PostgreSQL refuses to run as root, so as root it
drops to the `pgserver` system user, as pgserver itself does.

Locked to the project's own processes: the socket directory is private to the server's user (root passes
by privilege), the socket itself is 0700, and every connection needs the generated password kept in
`var/pg_password` (mode 0600; scram-sha-256). Restarts never loosen the data directory: only its parents are
made traversable, and a data directory whose mode something else changed is put back, with a log line.
"""

from __future__ import annotations

import logging
import os
import pwd
import secrets
import shutil
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

from settings import Settings, get_settings

log = logging.getLogger("db.embedded")

SYSTEM_USER = "pgserver"
POSTGRES_SUPERUSER = "postgres"
# PostgreSQL starts only on a data directory that is u=rwx (0700) or u=rwx,g=rx (0750).
DATA_DIR_MODES = (0o700, 0o750)
HBA_MARKER = "# written by db/embedded.py: local socket only, password (scram-sha-256) for everyone"
PG_HBA = f"""{HBA_MARKER}
# TYPE  DATABASE  USER  METHOD
local   all       all   scram-sha-256
"""


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


def make_parents_traversable(path: Path) -> None:
    """The server's user must reach `path` through every parent: each parent gets o+x (search), nothing more,
    and `path` itself is left as it is."""
    for parent in path.parents:
        mode = parent.stat().st_mode
        if mode & 0o001 == 0:
            parent.chmod(stat.S_IMODE(mode) | 0o001)


def repair_data_dir_mode(data_dir: Path) -> str | None:
    """Puts the data directory back to 0700 when its mode is one PostgreSQL refuses; says what it did."""
    mode = stat.S_IMODE(data_dir.stat().st_mode)
    if mode in DATA_DIR_MODES:
        return None
    data_dir.chmod(0o700)
    return f"data directory {data_dir} had mode {mode:04o}, which PostgreSQL refuses: set back to 0700"


def password(settings: Settings) -> tuple[str, bool]:
    """The superuser's password from `var/pg_password` (made once, mode 0600); True when made just now."""
    path = settings.pg_password_file
    if path.exists():
        path.chmod(0o600)
        return path.read_text().strip(), False
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(24)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secret)
    return secret, True


def _write_owned(path: Path, content: str, user: pwd.struct_passwd | None) -> None:
    path.write_text(content)
    path.chmod(0o600)
    if user is not None:
        shutil.chown(path, user.pw_uid, user.pw_gid)


def _initdb(data_dir: Path, secret: str, user: pwd.struct_passwd | None, scratch_dir: Path) -> None:
    pwfile = scratch_dir / "initdb.pw"
    _write_owned(pwfile, secret, user)
    try:
        cmd = [str(postgres_bin_dir() / "initdb"), "-D", str(data_dir), "-U", POSTGRES_SUPERUSER,
               "--auth=scram-sha-256", f"--pwfile={pwfile}", "--encoding=utf8", "--no-sync"]
        subprocess.run(cmd, check=True, capture_output=True, preexec_fn=_drop_to(user))
    finally:
        pwfile.unlink(missing_ok=True)


def _set_password(data_dir: Path, secret: str, user: pwd.struct_passwd | None) -> None:
    """Sets the superuser's password in single-user mode (the server is not running yet)."""
    quoted = secret.replace("'", "''")
    cmd = [str(postgres_bin_dir() / "postgres"), "--single", "-D", str(data_dir), "postgres"]
    subprocess.run(cmd, input=f"ALTER ROLE {POSTGRES_SUPERUSER} PASSWORD '{quoted}';\n", text=True, check=True,
                   capture_output=True, preexec_fn=_drop_to(user))


def prepare(settings: Settings) -> pwd.struct_passwd | None:
    """Create the data and socket directories and run initdb once, lock the server to password logins over a
    private socket; returns the user postgres runs as."""
    user = _system_user()
    data_dir, socket_dir = settings.pg_data_dir, settings.pg_socket_dir
    socket_dir.mkdir(parents=True, exist_ok=True)
    socket_dir.chmod(0o700)
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if (repaired := repair_data_dir_mode(data_dir)) is not None:
        log.warning("%s", repaired)
    secret, new_password = password(settings)
    bin_dir = postgres_bin_dir()
    if user is not None:
        for path in (data_dir, socket_dir, bin_dir):
            make_parents_traversable(path)
        bin_dir.chmod(stat.S_IMODE(bin_dir.stat().st_mode) | 0o005)
        shutil.chown(data_dir, user.pw_uid, user.pw_gid)
        shutil.chown(socket_dir, user.pw_uid, user.pw_gid)
        for child in bin_dir.iterdir():
            child.chmod(child.stat().st_mode | 0o055)
    if not (data_dir / "PG_VERSION").exists():
        _initdb(data_dir, secret, user, socket_dir)
    elif new_password or _hba(data_dir) != PG_HBA:
        # A data directory from before passwords (trust), or whose password file was lost: set it anew.
        log.warning("setting the database password anew (%s)", settings.pg_password_file)
        _set_password(data_dir, secret, user)
    if _hba(data_dir) != PG_HBA:
        _write_owned(data_dir / "pg_hba.conf", PG_HBA, user)
    return user


def _hba(data_dir: Path) -> str:
    path = data_dir / "pg_hba.conf"
    return path.read_text() if path.exists() else ""


def _drop_to(user: pwd.struct_passwd | None) -> Callable[[], None]:
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
        "-c", "unix_socket_permissions=0700", "-c", "password_encryption=scram-sha-256",
    ]


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    user = prepare(settings)
    cmd = server_command(settings)
    _drop_to(user)()
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main()
