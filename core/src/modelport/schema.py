"""Schema conversion, public names (see docs/structured-output.md, "Lower-level API").

Pure functions, no I/O: the JSON schema a Python type becomes for structured output, and the
strict form OpenAI-style providers require. Tool schemas are in ``modelport.tools``.
"""

from __future__ import annotations

from ._tools._schema import OutputSpec, make_strict, output_spec

__all__ = ["OutputSpec", "make_strict", "output_spec"]
