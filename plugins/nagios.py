"""nagiosplugin's model, loaded lean: the classes every Vigie check builds on.

nagiosplugin supplies the model of a check (a Resource acquires, a Context judges, a
Summary words, a Check controls) and a Runtime that formats the output. Checks import
those classes from here, not from nagiosplugin, so that the package is loaded without the
parts Vigie does not use (see ``_import_nagiosplugin``): start-up time is part of every
check's cost. Only public API is used; mypy reads nagiosplugin's types from the stubs in
``stubs/nagiosplugin``.
"""

from __future__ import annotations

import sys


def _import_nagiosplugin() -> None:
    """nagiosplugin, its ``Cookie`` and ``LogTail`` loaded on first use instead of up front.

    The package's ``__init__`` imports every class it offers; ``Cookie`` and ``LogTail``
    (state files between runs) bring tempfile, shutil, bz2, lzma, random and json, about
    a tenth of a check's whole run time, for nothing unless a check keeps state. Empty
    stand-ins take their place while the package loads; afterwards the package serves
    the real classes on first access (PEP 562), and importing the submodules works as
    ever. Should a future nagiosplugin not fit this, it is imported the plain way.
    """
    if "nagiosplugin" in sys.modules:
        return
    deferred = {"nagiosplugin.cookie": "Cookie", "nagiosplugin.logtail": "LogTail"}
    stand_ins = {}
    for module_name, class_name in deferred.items():
        if module_name not in sys.modules:
            stand_in = type(sys)(module_name)
            setattr(stand_in, class_name, None)
            stand_ins[module_name] = stand_in
    sys.modules.update(stand_ins)
    try:
        import nagiosplugin as package
    except ImportError:
        package = None  # type: ignore[assignment]
    finally:
        for module_name, stand_in in stand_ins.items():
            if sys.modules.get(module_name) is stand_in:
                del sys.modules[module_name]
    if package is None:
        import nagiosplugin  # noqa: F401  (the plain way: a clear ImportError if missing)

        return
    lazy = {}
    for module_name, class_name in deferred.items():
        if module_name in stand_ins and getattr(package, class_name, None) is None:
            delattr(package, class_name)
            lazy[class_name] = module_name

    def load_on_access(name: str) -> object:
        if name not in lazy:
            raise AttributeError(f"module 'nagiosplugin' has no attribute {name!r}")
        module = __import__(lazy[name], fromlist=[name])
        value = getattr(module, name)
        setattr(package, name, value)
        return value

    setattr(package, "__getattr__", load_on_access)  # noqa: B010 (a module attribute)


_import_nagiosplugin()

from nagiosplugin import (  # noqa: E402  (after the lean loader above)
    Check,
    CheckError,
    Context,
    Critical,
    Metric,
    Ok,
    Performance,
    Range,
    Resource,
    Result,
    Results,
    Summary,
    Unknown,
    Warn,
)
from nagiosplugin import __version__ as version  # noqa: E402
from nagiosplugin.output import Output  # noqa: E402
from nagiosplugin.runtime import Runtime  # noqa: E402
from nagiosplugin.state import ServiceState  # noqa: E402

__all__ = [
    "STATES",
    "Check",
    "CheckError",
    "Context",
    "Critical",
    "Metric",
    "Ok",
    "Output",
    "Performance",
    "Range",
    "Resource",
    "Result",
    "Results",
    "Runtime",
    "ServiceState",
    "Summary",
    "Unknown",
    "Warn",
    "version",
]

# The states by the names a command line gives them (--timeout-result).
STATES: dict[str, ServiceState] = {
    "ok": Ok,
    "warning": Warn,
    "critical": Critical,
    "unknown": Unknown,
}
