# Two commands on a fresh machine: `make run` (install + start everything) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt constraints.txt | md5sum | cut -c1-12)

.PHONY: install run stop status backup restore test test-unit test-system lint browser-deps bench clean-var ctl

# llama.cpp (llama-cpp-python, built from source) for a portable x86-64 with AVX2, not for this CPU alone: its
# native AVX-512 build crashes (SIGSEGV) on the first completion on some Xeons.
LLAMA_CMAKE_ARGS ?= $(if $(filter x86_64,$(shell uname -m)),-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON \
	-DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF)

$(STAMP): requirements.txt constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install -q -r requirements.txt -c constraints.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) start_system.py

stop:
	$(PY) shutdown_system.py

status:
	$(PY) start_system.py --status

# A snapshot of the database and Redis into var/backups/ (or BACKUP_DIR) while the system runs, e.g. from cron:
# `make backup ARGS="--keep 14"`. `make restore FILE=var/backups/dnd-…` puts one back into the stopped system.
backup: install
	$(PY) scripts/backup.py $(ARGS)

restore: install
	@test -n "$(FILE)" || { echo "usage: make restore FILE=var/backups/dnd-<time>"; exit 2; }
	$(PY) scripts/restore.py "$(FILE)"

# supervisorctl against this project's supervisord, e.g. `make ctl ARGS="restart worker-cpu"`
ctl:
	$(VENV)/bin/supervisorctl -c supervisord.conf $(ARGS)

# Debian's Chromium for the local table's browser test, and a colour-emoji font so the page shows 🎲 and ✅
# (root, as on CI; each skipped when already there).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium missing and not root: the browser test will be skipped"; fi; }
	@[ -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-color-emoji >/dev/null; \
	  else echo "fonts-noto-color-emoji missing and not root: the local table shows emoji as boxes"; fi; }

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

test: install browser-deps lint
	$(PY) -m pytest -q tests

test-unit: install
	$(PY) -m pytest -q tests/unit

bench: install
	$(PY) bench/queue_roundtrip.py
