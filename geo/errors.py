"""Errors the user can act on.

Every error here subclasses ``ValueError`` (osmnx/geopandas style) and renders as one line:
where (file, row, column), what was expected, what arrived, and an optional hint. The CLI
prints ``str(err)`` and exits 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import re


#: Longest run of non-space characters shown whole in an error line (a path fits).
WORD_LIMIT = 160


def shorten_words(text: str, *, limit: int = WORD_LIMIT) -> str:
    """Cut every run of non-space characters longer than ``limit`` to its first 40 characters
    and a count, so that a 1e308 coordinate written out in full or a 50 MB cell still gives a
    readable line: ``'1000000000000000000000000000000000000000… (1,234 characters)'``."""
    if len(text) <= limit:
        return text
    return re.sub(
        r"\S{%d,}" % (limit + 1), lambda m: f"{m.group()[:40]}… ({len(m.group()):,} characters)", text
    )


class GeoError(ValueError):
    """Base class for errors caused by input the user controls."""

    def __init__(self, message: str, *, hint: str | None = None):
        self.message = message
        self.hint = hint
        super().__init__(shorten_words(message if hint is None else f"{message} (hint: {hint})"))

    def __reduce__(self):
        # rebuilt with its final text, not formatted again: an error raised in a child
        # process (geo.workers) travels back pickled
        return (_rebuilt, (type(self), self.args, self.__dict__))


def _rebuilt(cls, args, state):
    e = cls.__new__(cls)
    e.args = args
    e.__dict__.update(state)
    return e


class InputError(GeoError):
    """A bad value in an input file or argument.

    Parameters
    ----------
    message
        What is wrong, in a few words.
    file, row, column
        Where it is; any may be omitted. ``row`` is 1-based counting the header as row 1,
        so it matches what a spreadsheet shows.
    expected, got
        What was expected and what arrived.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        expected: str | None = None,
        got: object = None,
        hint: str | None = None,
    ):
        self.file, self.row, self.column = file, row, column
        self.expected, self.got = expected, got
        where = ", ".join(
            p
            for p in (
                f"{file}" if file else None,
                f"row {row}" if row is not None else None,
                f"column {column!r}" if column else None,
            )
            if p
        )
        text = f"{where}: {message}" if where else message
        if expected is not None:
            text += f"; expected {expected}"
        if got is not None:
            text += f", got {got!r}"
        super().__init__(text, hint=hint)


class ScenarioError(GeoError):
    """A scenario file with one or more problems, all listed at once."""

    def __init__(self, file: str, problems: list[str]):
        self.file, self.problems = file, list(problems)
        n = len(self.problems)
        super().__init__(f"{file}: {n} problem{'s' if n != 1 else ''}: " + "; ".join(self.problems))


class RegionCodeError(InputError):
    """A region code or name that cannot be translated into an analysis unit."""


class OutputError(GeoError):
    """An output folder the tool may not write or replace (not its own, a file, read-only, full)."""


class InfeasibleError(GeoError):
    """Siting constraints that admit no solution; the message names the clashing constraints."""


class DataIntegrityError(GeoError):
    """A shipped data file is missing, changed, or not in the catalogue."""
