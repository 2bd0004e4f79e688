"""Results that print as their ``summary()``: the :class:`Summarized` mixin and :class:`Summary` text.

Every main result (``MemoryNetwork``, ``LocalStability``, ``Certificate``, ``RetrievalResult``,
...) derives from :class:`Summarized`: ``print(result)`` and ``str(result)`` give its summary, an
IPython or Jupyter cell that ends with the result shows the summary, and ``result.summary()``
returns a :class:`Summary`, a ``str`` whose repr is the text itself, so it reads as text in a REPL
rather than as one quoted line full of ``\\n``. ``repr(result)`` stays the compact one-line form.
"""

from __future__ import annotations

import functools

__all__ = ["Summarized", "Summary"]


class Summary(str):
    """A summary text: a ``str`` that shows as itself (not quoted) in a REPL.

    Examples
    --------
    >>> Summary("line 1\\nline 2")
    line 1
    line 2
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


class Summarized:
    """Mixin: ``str(result)`` and the notebook display are ``result.summary()``.

    A subclass's own ``summary`` is wrapped (once, when the class is made) to return a
    :class:`Summary`.
    """

    __slots__ = ()

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("summary")
        if callable(own) and not getattr(own, "_returns_summary", False):

            @functools.wraps(own)
            def summary(self, *args, **kwargs) -> Summary:
                return Summary(own(self, *args, **kwargs))

            summary._returns_summary = True
            cls.summary = summary

    def summary(self) -> str:  # pragma: no cover - every subclass defines its own
        """A readable multi-line description of the result."""
        return repr(self)

    def __str__(self) -> str:
        return str(self.summary())

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        """IPython and Jupyter show the summary."""
        printer.text(repr(self) if cycle else str(self.summary()))
