"""One model call: where a request is sent, retried, limited, cached and assembled.

``_program`` is the call written once as a generator of I/O requests (``_actions``); ``_drive``
performs them, blocking or awaiting. ``_call`` holds a call's state and sans-IO steps
(given ``_call_setup``'s options and setting, its wire request shaped by ``_call_shape``),
``_retry`` the one retry policy, ``_assemble`` the stream assembly, ``_engine`` the entry
points the client uses.
"""
