"""The plugin host on pluggy: discovery and isolation of plugins, pluggy's call order for
registrations, lazy ``module:attr`` registration, and per-request hook calls naming the plugin."""
