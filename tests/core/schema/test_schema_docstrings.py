"""Docstring parsing: Google, numpy and Sphinx styles feed tool and parameter descriptions."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from modelport._tools._schema import parse_docstring


def test_google_style() -> None:
    doc = parse_docstring(
        """Get the weather for a city.

        Uses the public forecast service; results are cached for ten minutes.

        Args:
            city: The city name, e.g. "Paris".
            days (int, optional): How many days ahead,
                counting from today.
            *extra: ignored.

        Returns:
            A short text forecast.

        Raises:
            ValueError: if the city is unknown.
        """
    )
    assert doc.description == (
        "Get the weather for a city.\n\n"
        "Uses the public forecast service; results are cached for ten minutes."
    )
    assert doc.params == {
        "city": 'The city name, e.g. "Paris".',
        "days": "How many days ahead, counting from today.",
        "extra": "ignored.",
    }


def test_google_keyword_args_section_and_no_raises_leak() -> None:
    doc = parse_docstring(
        """Search.

        Keyword Args:
            limit: at most this many.
        Raises:
            KeyError: never a parameter.
        """
    )
    assert doc.params == {"limit": "at most this many."}


def test_numpy_style() -> None:
    doc = parse_docstring(
        """
        Convert a temperature.

        Parameters
        ----------
        value : float
            The temperature
            to convert.
        unit : {'c', 'f'}, optional
            Target unit.
        x, y : int
            Both coordinates.

        Returns
        -------
        float
            The converted value.
        """
    )
    assert doc.description == "Convert a temperature."
    assert doc.params == {
        "value": "The temperature to convert.",
        "unit": "Target unit.",
        "x": "Both coordinates.",
        "y": "Both coordinates.",
    }


def test_sphinx_style() -> None:
    doc = parse_docstring(
        """Send a message.

        :param to: Recipient address.
        :param str body: The text,
            plain only.
        :type to: str
        :returns: the message id.
        :raises IOError: on failure.
        """
    )
    assert doc.description == "Send a message."
    assert doc.params == {"to": "Recipient address.", "body": "The text, plain only."}


def test_no_docstring_and_summary_only() -> None:
    assert parse_docstring(None).description == ""
    assert parse_docstring("   ").params == {}
    doc = parse_docstring("Just a summary.")
    assert doc.description == "Just a summary."
    assert doc.params == {}


def test_text_that_looks_like_a_header_but_is_not() -> None:
    doc = parse_docstring("Compute.\n\nNote: this is inline, not a section.\nStill text.")
    assert "Still text." in doc.description
    assert "Note: this is inline" in doc.description


@given(st.text())
def test_never_raises(text: str) -> None:
    doc = parse_docstring(text)
    assert isinstance(doc.description, str)
    assert all(isinstance(v, str) for v in doc.params.values())
