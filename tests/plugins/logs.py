"""`json_lines`: what is logged during a test, as production writes it (one JSON object a line)."""

import io
import json
import logging
from collections.abc import Iterator

import pytest

from kernel import logs


class Lines(io.StringIO):
    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.getvalue().splitlines()]


@pytest.fixture
def json_lines() -> Iterator[Lines]:
    stream = Lines()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.formatter("json"))
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)
