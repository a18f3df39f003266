"""YAML read strictly, for ``vigie.yaml``: exact decimals, no YAML 1.1 surprises.

Kept apart from ``config`` so that the yaml package is imported only when a configuration
file is actually parsed (not when ``vigie notify`` finds it in its cache).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import cast

import yaml

from bridge.config.model import ConfigError


class _StrictLoader(yaml.SafeLoader if not yaml.__with_libyaml__ else yaml.CSafeLoader):  # type: ignore[misc]
    """A safe loader reading scalars the way people expect (close to YAML 1.2).

    Numbers with a decimal point become ``Decimal`` (money must stay exact).
    YAML 1.1 reads ``17:00`` as the number 1020 (base 60), ``010`` as 8 (octal) and
    ``NO`` (Norway's country code) as false; here they stay strings, and booleans are only
    true/false. A key written twice in one mapping is an error, not a silent overwrite.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[object, object]:
        seen: set[tuple[str, str]] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE_TAG:
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"found duplicate key {key_node.value!r}",
                        key_node.start_mark,
                    )
                seen.add(key)
        return cast("dict[object, object]", super().construct_mapping(node, deep=deep))


_MERGE_TAG = "tag:yaml.org,2002:merge"
_PLAIN_SCALARS = {
    "tag:yaml.org,2002:bool": re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    "tag:yaml.org,2002:int": re.compile(
        r"^(?:[-+]?0b[0-1_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"
    ),
    "tag:yaml.org,2002:float": re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?"
        r"|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
}


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal:
    # Amounts are read from their text, never through a binary float: 20.00 stays 20.00.
    text = str(loader.construct_scalar(node)).replace("_", "").lower().lstrip("+")
    special = {".inf": "Infinity", "-.inf": "-Infinity", ".nan": "NaN"}
    return Decimal(special.get(text, text))


_StrictLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
# Same resolvers in the same order, with the YAML 1.1 surprises taken out of the patterns.
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, _PLAIN_SCALARS.get(tag, pattern)) for tag, pattern in resolvers]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_yaml(text: str, source: str) -> object:
    """Parse YAML text strictly; a syntax error becomes a ConfigError naming its line."""
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}, line {mark.line + 1}, column {mark.column + 1}" if mark else source
        what = " ".join(str(exc.problem or exc.context or "unreadable").split())
        context = exc.context_mark
        if exc.problem and exc.context and context is not None and context != mark:
            # The real mistake is often where the unclosed thing began, lines earlier.
            what += f" ({exc.context} from line {context.line + 1}, column {context.column + 1})"
        raise ConfigError([f"{where}: YAML syntax error: {what}"], source) from None
    except yaml.YAMLError as exc:
        raise ConfigError([f"{source}: YAML error: {' '.join(str(exc).split())}"], source) from None
