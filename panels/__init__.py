"""Textual widgets, one per panel. They render snapshots from `tui.model` and never do I/O."""
