"""Textual widgets, one per panel. They render snapshots from `tui.core.model` and never do I/O."""
