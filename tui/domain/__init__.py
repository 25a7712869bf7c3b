"""The pure rules of an incident: SLO maths and verdicts, when a pod counts as failing, when a
change is a detection, the status-update template. No I/O, no Textual; may import `tui.core`,
the config's types and the record's plain event types."""
