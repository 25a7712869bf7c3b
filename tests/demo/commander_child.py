"""A commander's `warroom demo` as its own process, for the war-room tests (run as
`python -m tests.demo.commander_child DB [SCENARIO]`): the demo's real wiring over DB, its
timeline polled once (which declares or joins the drill), then the drill id printed; a line
"quit" on stdin closes it as quitting the app does (which leaves or resolves the drill)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from tui.wiring import setup_for_demo


async def main(db: str, scenario: str | None) -> None:
    args = argparse.Namespace(
        scenario=scenario, seed=1, db=db, read_only=False, theme=None, actor=None, config=None
    )
    setup = setup_for_demo(args)
    timeline = setup.sources["timeline"]
    try:
        await setup.sources["pods"].poll()
        await timeline.poll()
        print(timeline.drill_id, flush=True)
        await asyncio.to_thread(sys.stdin.readline)
    finally:
        for source in setup.sources.values():
            await source.close()
    print("closed", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None))
