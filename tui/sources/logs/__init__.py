"""The log tail, by role: `lines` (levels and timestamps of a line, pure), `file` (`tail -F`),
`loki` (Loki's API) and `merge` (several entries into the one Logs panel). Text stays raw here,
escape codes included: `tui.core.untrusted` cleans it in the panel. (Pod logs are
`tui.sources.kubernetes.logs`.)"""
