"""What the keys do: the incident keys and history (`incident_keys`), the mitigation keys
(`action_keys`) and quitting (`quitting`). They ask through the dialogs, write through the
record's service and run through the one dispatcher; the app and its controllers are the only
modules that refer to each other."""
