"""`python -m workers.flower`: Flower on 127.0.0.1 with basic auth (FLOWER_USER / FLOWER_PASSWORD).

Without FLOWER_PASSWORD a random one is generated once and kept in `var/flower_password`.
"""

from __future__ import annotations

import os
import secrets
import sys

from settings import Settings, get_settings


def flower_password(settings: Settings) -> str:
    if settings.flower_password:
        return settings.flower_password
    path = settings.var_dir / "flower_password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(12))
        path.chmod(0o600)
    return path.read_text().strip()


def main() -> None:
    settings = get_settings()
    argv = [sys.executable, "-m", "celery", "-A", "tasks.app", "flower", "--address=127.0.0.1",
            f"--port={settings.flower_port}", f"--basic-auth={settings.flower_user}:{flower_password(settings)}",
            "--persistent=False", "--purge_offline_workers=60"]
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main()
