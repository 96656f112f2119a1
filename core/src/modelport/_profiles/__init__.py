"""Model profiles: what a model accepts, from the provider's table, plugins' hooks, the
server's report and the user's ``modelport.toml``, resolved in one order (``_resolve``);
reading servers' reports (``_reports``, ``_fetch``) and showing profiles (``_show``)."""
