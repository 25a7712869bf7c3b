"""Textual widgets, one per panel, and the dialogs. They render snapshots from `tui.core.model`
and never do I/O: they may import `tui.core`, the domain rules and the record's plain types
(events, lifecycle), never a source, the record's store or feed, the actions or a controller."""
