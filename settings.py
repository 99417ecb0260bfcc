"""Configuration from the environment (and `.env`), shared by every process.

Stdlib only (python-dotenv when installed), so the gateway can import it without pulling in the workers'
dependencies. Embedded Redis and PostgreSQL are used when `REDIS_URL` / `DATABASE_URL` are unset.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent


def _load_dotenv() -> None:
    try:
        from dotenv import load_dotenv
    except ImportError:  # the settings still work from the plain environment
        return
    load_dotenv(PROJECT_ROOT / ".env", override=False)


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


def _str(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


@dataclass(frozen=True)
class Settings:
    var_dir: Path
    logs_dir: Path
    redis_url_env: str
    database_url_env: str
    discord_token: str
    bot_channel_id: int
    owner_id: int
    batch_idle_s: float
    batch_max_s: float
    local_table_host: str
    local_table_port: int
    flower_port: int
    flower_user: str
    flower_password: str
    vllm_host: str
    vllm_port: int
    local_model_name: str
    local_model_path: str
    gpu_memory_utilization: float
    max_model_len: int
    tensor_parallel_size: int
    gemini_api_key: str
    xai_api_key: str
    max_message_chars: int
    user_rate_per_min: int
    channel_rate_per_min: int
    max_task_attempts: int
    cpu_concurrency: int
    worker_log_level: str
    rules_dir: Path
    campaigns_dir: Path
    srd_json_dir: str
    # Who plays the monsters: "auto" (the DM, by dnd.tactics) or "owner" (the owner types `!attack` for them).
    monster_control: str = "auto"
    # A player's turn in a fight passes by itself after this long without an action (nobody stalls a fight).
    combat_turn_timeout_s: float = 120.0
    # The XP budget of an encounter the model proposes (easy|medium|hard|deadly; deadly only when set so).
    encounter_difficulty: str = "medium"

    @property
    def run_dir(self) -> Path:
        """Sockets and pid files (kept short: unix socket paths are limited to ~100 bytes)."""
        return self.var_dir / "run"

    @property
    def pg_socket_dir(self) -> Path:
        """Owned by the PostgreSQL system user when running as root (PostgreSQL refuses root)."""
        return self.run_dir / "pg"

    @property
    def redis_socket(self) -> Path:
        return self.run_dir / "redis.sock"

    @property
    def redis_embedded(self) -> bool:
        return not self.redis_url_env

    @property
    def postgres_embedded(self) -> bool:
        return not self.database_url_env

    @property
    def redis_url(self) -> str:
        """URL for redis-py clients."""
        return self.redis_url_env or f"unix://{self.redis_socket}"

    @property
    def celery_broker_url(self) -> str:
        """Kombu spells a unix socket `redis+socket://`."""
        return self.redis_url_env or f"redis+socket://{self.redis_socket}"

    @property
    def pg_data_dir(self) -> Path:
        return self.var_dir / "pgdata"

    @property
    def database_url(self) -> str:
        if self.database_url_env:
            url = self.database_url_env
            if url.startswith("postgres://"):
                url = "postgresql://" + url[len("postgres://"):]
            return url
        return f"postgresql://postgres:{self.embedded_pg_password()}@/dnd?host={self.pg_socket_dir}"

    @property
    def pg_password_file(self) -> Path:
        """The embedded PostgreSQL's generated password (mode 0600), made by `db.embedded` on its first start."""
        return self.var_dir / "pg_password"

    def embedded_pg_password(self) -> str:
        """Empty until the embedded server made it: connections then fail (and start-up's probe retries)."""
        try:
            return self.pg_password_file.read_text().strip()
        except OSError:
            return ""

    @property
    def vllm_base_url(self) -> str:
        return f"http://{self.vllm_host}:{self.vllm_port}/v1"

    @property
    def vllm_configured(self) -> bool:
        return bool(self.local_model_name or self.local_model_path)

    @property
    def discord_enabled(self) -> bool:
        return bool(self.discord_token)


def load_settings() -> Settings:
    _load_dotenv()
    var_dir = Path(_str("VAR_DIR", str(PROJECT_ROOT / "var"))).resolve()
    return Settings(
        var_dir=var_dir,
        logs_dir=Path(_str("LOGS_DIR", str(PROJECT_ROOT / "logs"))).resolve(),
        redis_url_env=_str("REDIS_URL"),
        database_url_env=_str("DATABASE_URL"),
        discord_token=_str("DISCORD_TOKEN"),
        bot_channel_id=_int("BOT_CHANNEL_ID", 1000),
        owner_id=_int("OWNER_ID", 1),
        batch_idle_s=_float("BATCH_IDLE_S", 4.0),
        batch_max_s=_float("BATCH_MAX_S", 15.0),
        local_table_host=_str("LOCAL_TABLE_HOST", "127.0.0.1"),
        local_table_port=_int("LOCAL_TABLE_PORT", 8765),
        flower_port=_int("FLOWER_PORT", 5555),
        flower_user=_str("FLOWER_USER", "admin"),
        flower_password=_str("FLOWER_PASSWORD", ""),
        vllm_host=_str("VLLM_HOST", "localhost"),
        vllm_port=_int("VLLM_PORT", 8000),
        local_model_name=_str("LOCAL_MODEL_NAME"),
        local_model_path=_str("LOCAL_MODEL_PATH"),
        gpu_memory_utilization=_float("GPU_MEMORY_UTILIZATION", 0.9),
        max_model_len=_int("MAX_MODEL_LEN", 4096),
        tensor_parallel_size=_int("TENSOR_PARALLEL_SIZE", 1),
        gemini_api_key=_str("GEMINI_API_KEY"),
        xai_api_key=_str("XAI_API_KEY"),
        max_message_chars=_int("MAX_MESSAGE_CHARS", 4000),
        user_rate_per_min=_int("USER_RATE_PER_MIN", 30),
        channel_rate_per_min=_int("CHANNEL_RATE_PER_MIN", 120),
        max_task_attempts=_int("MAX_TASK_ATTEMPTS", 3),
        cpu_concurrency=_int("CPU_CONCURRENCY", 4),
        worker_log_level=_str("WORKER_LOG_LEVEL", "WARNING").upper(),
        rules_dir=Path(_str("RULES_DIR", str(PROJECT_ROOT / "corpus" / "rules_and_supplements"))),
        campaigns_dir=Path(_str("CAMPAIGNS_DIR", str(PROJECT_ROOT / "corpus" / "campaigns"))),
        srd_json_dir=_str("SRD_JSON_DIR"),
        monster_control=_str("MONSTER_CONTROL", "auto").casefold(),
        combat_turn_timeout_s=_float("COMBAT_TURN_TIMEOUT_S", 120.0),
        encounter_difficulty=_str("ENCOUNTER_DIFFICULTY", "medium").casefold(),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
