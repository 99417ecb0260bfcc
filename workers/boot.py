"""`python -m workers.boot <profile> [--name NAME] [--no-beat]`: replace this process with the worker."""

from __future__ import annotations

import argparse
import os

from settings import PROJECT_ROOT, get_settings
from workers.profiles import PROFILES, worker_argv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("profile", choices=PROFILES)
    parser.add_argument("--name", help="node name prefix (unique per machine)")
    parser.add_argument("--no-beat", action="store_true", help="do not run the embedded scheduler")
    args = parser.parse_args()
    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    argv = worker_argv(args.profile, settings, args.name, beat=False if args.no_beat else None)
    os.chdir(PROJECT_ROOT)
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main()
