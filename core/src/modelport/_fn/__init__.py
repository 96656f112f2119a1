"""The decorator layer behind ``modelport.fn`` (``llm_function``, ``llm_chat``, their events).

``_common``: the abort signal, the decorator arguments both share (the LLM or ``llm_interface=``,
``toolkit=``, ``max_tool_calls=None``) and messages as history dicts. ``_function``: return types
and prompts of ``llm_function``. ``_chat``: parameter binding and the four ways to run a chat.
``_events``: the typed lifecycle events; ``_tracker``: builds them, and the history, from the
core's ``StreamEvent``s. Users import from ``modelport.fn`` only.
"""
