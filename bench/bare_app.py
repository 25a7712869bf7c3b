"""The yardstick for `warroom demo`'s first paint: a bare Textual app showing one Static,
started the same way (a fresh interpreter, in the same pseudo-terminal size). `bench/run.py`
measures both and reports the ratio. It shows "Timeline", the marker the demo case waits for."""

from textual.app import App, ComposeResult
from textual.widgets import Static


class BareApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("Timeline")


if __name__ == "__main__":
    BareApp().run()
