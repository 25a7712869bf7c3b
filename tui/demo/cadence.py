"""How often each of the demo's panel sources polls: known before the demo's world is built, so
the war room's first frame is drawn with the panels it will have (`tui.wiring`), and the very
numbers the sources are built with (`tui.demo.platform.demo_sources`)."""

from __future__ import annotations

# The real adapters' default cadences (SLOs a little faster, so the demo moves). The logs batch
# 3 s: every batch repaints the whole visible tail (Textual has no cheap terminal scroll), at
# 160x50 3 KB, so batching keeps the demo near 2 KB/s over a slow SSH link.
CADENCE_S: dict[str, float] = {"health": 5.0, "pods": 2.0, "slos": 10.0, "logs": 3.0, "timeline": 1.0}

__all__ = ["CADENCE_S"]
