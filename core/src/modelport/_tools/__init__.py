"""Tools: the tool loop, running a turn's calls, structured output, and the JSON-schema
machinery (``_schema``) that turns Python functions and types into what a model reads."""
