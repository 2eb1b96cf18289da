"""Pieces of hand-written SQL, for the few hot paths where compiling the ORM's queries costs more
than the work (the storyboard's write path)."""

from collections.abc import Sequence

from django.db import connection


def table(model: type) -> str:
    """The model's table name, quoted for the current database."""
    return connection.ops.quote_name(model._meta.db_table)  # type: ignore[attr-defined]


def placeholders(values: Sequence[object]) -> str:
    """"%s, %s, …": one parameter placeholder per value."""
    return ", ".join(["%s"] * len(values))
