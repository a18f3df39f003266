# Read by mypy only: see __init__.pyi.
class ServiceState:
    code: int
    text: str

    def __init__(self, code: int, text: str) -> None: ...
    def __int__(self) -> int: ...

Ok: ServiceState
Warn: ServiceState
Critical: ServiceState
Unknown: ServiceState
