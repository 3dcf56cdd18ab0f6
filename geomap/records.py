"""Dataclass records that ingest's parsing processes send to its writer, pickled cheaply.

A dataclass pickles by default as its ``__dict__``, or, slotted, through a Python loop over
its fields each way. An article's analysis holds dozens of records: unpickling them was
about a tenth of the writer's work (which shares the cores with the parsing), and this
halves it.
"""

from __future__ import annotations

import operator
from dataclasses import fields
from typing import TypeVar

T = TypeVar("T")


def pickled_as_fields(cls: type[T]) -> type[T]:
    """Make a dataclass pickle as its constructor and its fields' values, read by one
    ``operator.attrgetter`` in C (apply it over ``@dataclass``). Unpickling calls the
    constructor, so a record comes back equal, and ``__post_init__`` runs again."""
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    if len(names) < 2:  # attrgetter would give the value itself, not a tuple of values
        raise TypeError(f"{cls.__name__}: a record of one field pickles well as it is")
    values = operator.attrgetter(*names)

    def reduce(self: T) -> tuple:
        return cls, values(self)

    cls.__reduce__ = reduce  # type: ignore[method-assign, assignment]
    return cls
