"""GPU facts for operators (nvidia-ml-py when a GPU and the library are present; nothing otherwise)."""

from __future__ import annotations

from typing import Any


def gpu_memory() -> list[dict[str, Any]]:
    try:
        import pynvml
    except ImportError:
        return []
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:  # no driver or no GPU on this machine
        return []
    try:
        found = []
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
            name = pynvml.nvmlDeviceGetName(handle)
            found.append({"index": index, "name": name.decode() if isinstance(name, bytes) else name,
                          "used_mib": int(memory.used) // 2**20, "total_mib": int(memory.total) // 2**20})
        return found
    finally:
        pynvml.nvmlShutdown()
