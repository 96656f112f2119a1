"""The provider conformance suite: one set of checks every modelport provider must pass.

Modelled on SQLAlchemy's ``sqlalchemy.testing.suite``: a provider plugin imports the whole
suite into its own test run, and declares which capabilities it has so that a check for a
missing one is skipped with that reason instead of failing. The checks feed the provider
recorded real traffic (no network, no mocks of the provider) and then run it inside a real
``modelport.LLM`` against ``modelport.testing.ScriptedServer`` on loopback, so a provider is
judged on exactly what the core will do with it. First-party providers pass it the same way.

Needs ``pytest`` and ``hypothesis`` (test-time dependencies of the plugin, not of modelport).
``import modelport`` and ``import modelport.testing`` never import this package.

Usage
-----

In the plugin's repository, ``tests/test_conformance.py``::

    from pathlib import Path
    from modelport.testing.conformance import Conformance, ProviderConformance
    from my_plugin import MyProvider

    class TestMyProvider(ProviderConformance):
        conformance = Conformance(
            provider=MyProvider,                               # the provider class
            recordings=Path(__file__).parent / "recordings",   # folder of recorded bodies
            model="some-model",
            # optional: capabilities=..., options=..., base_url=..., api_key=...,
            #           secrets=..., env=..., max_examples=...
        )

and run ``pytest``. The suite registers itself with pytest through the ``pytest11`` entry
point ``modelport`` (marker ``conformance``; ``-m "not conformance"`` leaves it out; option
``--conformance-max-examples N`` bounds every property check). Every check is an inherited
``test_*`` method, one test per recording where it runs over recordings; ``ProviderConformance``
itself has no ``Test`` prefix, so importing it does not make pytest collect it a second time.
A known bug can be recorded as a strict expected failure per recording (``xfail`` below).

``Conformance`` fields beyond the three required ones:

- ``capabilities``: the full set the provider has, from ``CAPABILITIES``: ``streaming``,
  ``tools``, ``images``, ``thinking``, ``structured_output``, ``model_listing``,
  ``credentials``. Left ``None``, it is derived: ``tools`` / ``images`` / ``thinking`` from
  ``provider.profile(model)``, ``model_listing`` when ``models_request()`` returns a request,
  ``credentials`` when a key or secret is configured, ``streaming`` and ``structured_output``
  always.
- ``options``: ``ProviderSettings.options`` for every provider the suite makes.
- ``base_url``: the provider's base URL when it talks to the scripted server, starting with
  ``{server}`` (``http://127.0.0.1:PORT``). Default ``"{server}/v1"``; ``"{server}"`` for
  providers whose paths start at the root (Bedrock's ``/model/...``).
- ``api_key``: the key handed to the provider (default ``CANARY``, a string that must never
  show up before ``authenticate`` nor in any error); ``None`` for providers without keys.
- ``secrets``: other credentials that must never reach the wire or an error (an AWS secret
  key), with ``env`` setting the environment that supplies them (``None`` unsets a variable).

Recordings folder
-----------------

A folder of recorded response bodies, one interaction per file, byte-exact where possible:

- ``*.sse``: a streamed response (SSE), replayed one event per HTTP chunk;
- ``*.bin``: a streamed AWS event-stream response, one message per chunk;
- ``*.json``: a non-streamed response body; ``*models.json``: a model list
  (``parse_models``); ``error-<status>-*.json``: an error body returned with that status
  (a name containing ``context-length`` / ``context-window`` expects
  ``ContextWindowExceededError``);
- a stream whose name contains ``error``: a stream ending in an error event;
- ``NAME.sse`` / ``NAME.bin`` next to ``NAME.json``: twins, the same answer recorded streamed
  and not (``streamed == non-streamed`` is checked on them);
- anything else (``.txt``, ``.jsonl``, ``.md``) and names starting with ``.`` or ``_`` are
  ignored.

If the folder has an ``index.json`` in the format of modelport's shared conformance corpus
(``{"files": [{"file": ..., "http": {"status": ..., "response_headers": {name: [value]}}}]}``),
it lists the recordings instead of the scan, and its statuses and headers are used (a 429's
``retry-after`` reaches ``parse_error`` as recorded). An optional ``cases.json`` then
annotates, adds or skips entries::

    {"cases": [
      {"file": "stream-text.sse", "twin": "stream-text-whole.json", "ignore": ["usage"]},
      {"file": "error-overloaded.sse", "kind": "stream_error", "error": "ProviderServerError"},
      {"file": "quota.json", "kind": "error", "status": 429, "headers": {"retry-after": "3"}},
      {"file": "native-chat.json", "options": {"api": "native"}, "stop_reason": "length"},
      {"file": "not-ours.sse", "kind": "skip"},
      {"file": "usage-last.sse", "xfail": {"test_one_byte_chunks_give_the_same_deltas": "#12"}}
    ]}

Keys: ``kind`` (``stream``, ``response``, ``error``, ``stream_error``, ``models``,
``profile`` (a server's model report, for ``server_profile``), ``skip``),
``format`` (``sse``, ``eventstream``, ``json``, ``raw``), ``status``, ``headers``, ``twin``,
``ignore`` (fields that legitimately differ between twins: ``ids``, ``usage``, ``model``,
``metadata``, ``reasoning``, ``raw_stop_reason``), ``error`` (an error class name from
``modelport.provider``), ``stop_reason`` (the expected normalized value, ``null`` allowed),
``options`` (provider options for this recording), ``requires`` (capabilities it needs),
``content_type`` (served instead of the format's), ``xfail`` (``{"test_<check>": "the known
bug"}``: that check is a strict expected failure on this recording, so the report shows the
bug and a fix makes the run fail until the entry is removed), ``note``.

``recordings`` may also be a list of folders and single recording files, read in order (a
file brings its folder's ``index.json`` entry, if any); an entry in a later folder's
``cases.json`` whose ``file`` names a recording of an earlier folder annotates that recording.
That is how a plugin checks itself against a corpus it does not own (``index.json`` folders of
``../shared/conformance``) and keeps its own twins, expectations and skips next to its tests::

    recordings=[CORPUS / "openai-chat",                      # as recorded
                CORPUS / "lmstudio" / "real-v1-models.json", # one file from elsewhere
                Path(__file__).parent / "kit_recordings"]    # twins, error events, cases.json

A mistake in a manifest (unknown key or kind, missing file or twin, an ``error`` that is not
a class of ``modelport.provider``) is a ``RecordingsError`` naming the file, at collection.

Capabilities and skips
----------------------

A check needing a capability the provider does not declare is skipped with the reason
"provider declares no <capability>". A recording needs ``streaming`` if it is a stream,
``model_listing`` if it is a model list, ``tools`` if it decodes to tool calls, plus whatever
its ``requires`` says. A check with no recordings of its kind is one skipped test naming what
to record, so a gap stays visible in the report.

The checks
----------

Streams (every recorded stream): the same deltas for any chunking (hypothesis), one byte at
a time, and one event per chunk; cut short before each event, ``feed`` / ``close`` raise
``ProviderProtocolError`` (``IncompleteStreamError``) or give the whole answer, usage included,
never a shorter one (a missing end marker is fine when nothing was lost); cut at random points
inside an event, the partial event is refused or ignored, never half used; each event
corrupted in turn (invalid JSON in SSE, a bad CRC in event-stream) and random garbage give a
typed ``LLMError``, never another exception or a hang (10 s bound). Tool streams: calls are
whole (unique ids, names, JSON-object arguments, ``stop_reason == "tool_calls"``), every
fragment carries the call's id or index, and fragments of parallel calls interleaved any way
assemble to the same calls.

Answers (streams and non-streamed bodies): not empty; ``stop_reason`` set and one of
``stop, length, tool_calls, content_filter, refusal`` (or the manifest's value); usage
non-negative with ``cached_tokens <= input_tokens`` and ``reasoning_tokens <=
output_tokens``; twins decode to the same text, reasoning, refusal, tool calls, stop reasons,
usage, model and metadata. Bodies that are not answers (empty, HTML, JSON that is not a
response, any truncation of a recorded body, random bytes) give a typed ``LLMError``. Model
lists parse to non-empty string ids; a body that is not one is a typed error.

Errors: neutral error bodies in five shapes map by status (400 ``BadRequestError``,
401/403 ``AuthenticationError``, 404 ``ModelNotFoundError``, 422 ``BadRequestError``, 429
``RateLimitError``, 5xx ``ProviderServerError``); a 429 reads ``Retry-After`` and
``retry-after-ms`` into ``retry_after``; a body saying the context window was exceeded gives
``ContextWindowExceededError`` in at least one common shape; ``parse_error`` returns (never
raises) on garbage; each recorded error body gives its expected class; each recorded error
event mid-stream raises the typed error (not a protocol error).

Wire: ``build_request`` carries no credentials (no Authorization / x-api-key / signature, no
canary anywhere) for streamed and non-streamed requests, is deterministic (the cache key
hashes it), and differs when streaming; ``authenticate`` adds a credential header and never
sends a secret; tools, the structured-output schema, images and ``reasoning_effort`` reach the
body (each by capability); ``models_request`` carries no credentials.

Through a real ``LLM`` and ``ScriptedServer``: ``complete`` and ``stream`` give the sans-IO
answer (answer events add up to the text), async equals sync; two identical temperature-0
calls (``extra_body`` keys in another order) are one request and a cache hit with the same
``cache_key``, and another prompt gets another key; ``extra_body`` / ``extra_headers`` reach
the wire, streamed and not; a key the server echoes back (401, streamed or not, and an error
inside a 200 body) never shows in the error or its causes; model listing through
``llm.models()``. Faults: 429 (``retry-after-ms``) then success and 503 then success
are retried, 400 is not; a reset before the headers is retried; a silent server and a stalled
stream raise ``LLMTimeoutError``; a reset mid-stream raises ``ProviderConnectionError``
without duplicated output (or retries when nothing was yielded); a stream closed early is
never a short answer; a connection closed after a stream is not reused; garbage mid-stream is
a ``ProviderProtocolError`` and not retried; a JSON body answering a stream request is parsed.

Opt-in (named in ``capabilities=``, never derived): ``paged_listing`` (the model-list
recordings are the pages ``next_models_request`` walks, in order; the listing check then
expects one request per page), ``server_profile`` (``profile_requests`` / ``parse_profile``
on ``"kind": "profile"`` recordings), ``limit_headers`` (``read_limit_headers`` on the
recorded response headers and on any value); see ``_checks_reports``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "CANARY",
    "CAPABILITIES",
    "Case",
    "Conformance",
    "ProviderConformance",
    "RecordingsError",
]

if TYPE_CHECKING:
    from ._config import CANARY, CAPABILITIES, Conformance
    from ._recordings import Case, RecordingsError
    from ._suite import ProviderConformance

# Resolved on first use, so that pytest importing the ``plugin`` submodule at start-up does not
# import the suite, hypothesis or the core with it.
_LAZY = {
    "CANARY": "._config",
    "CAPABILITIES": "._config",
    "Conformance": "._config",
    "Case": "._recordings",
    "RecordingsError": "._recordings",
    "ProviderConformance": "._suite",
}


def __getattr__(name: str) -> Any:
    from ..._lazy import lazy_attribute

    return lazy_attribute(globals(), _LAZY, name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
