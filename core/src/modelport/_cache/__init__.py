"""The cache: keys (a deny-list hash of the shaped wire request), levels (L1 local, L2 shared),
and the SQLite level-1 backend the core registers as the ``builtin-cache`` plugin."""
