# Read by mypy only: see __init__.pyi.
import logging
from typing import Any

from nagiosplugin import Check
from nagiosplugin.output import Output

class Runtime:
    logchan: logging.StreamHandler[Any]
    output: Output
    exitcode: int

    def __init__(self) -> None: ...
    @property
    def verbose(self) -> int: ...
    @verbose.setter
    def verbose(self, value: int) -> None: ...
    def run(self, check: Check) -> None: ...
