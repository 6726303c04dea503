"""The normalisers of openapi/README.md's Python recipes (lenient booleans, string-or-list).

VPCEP sends `enable_dns`/`enable_whitelist` as a boolean *or* the string "true"/"false", and
`dns_names`/`active_status`/`Action` as a list *or* a single string. Read them through these;
never test the truthiness of `enable_dns` ("false" is a true value in Python).
"""

from __future__ import annotations

from enum import Enum


def unwrap(value: object) -> object:
    """The plain value inside generated wrappers: pydantic RootModels (nested ones too),
    str enums (e.g. openapi-python-client's LenientBooleanType1) and OpenAPI Generator's
    oneOf classes (`actual_instance`)."""
    while True:
        if isinstance(value, Enum):
            value = value.value
        elif hasattr(value, "root"):
            value = value.root
        elif hasattr(value, "actual_instance"):  # OpenAPI Generator's oneOf wrappers
            value = value.actual_instance
        else:
            return value


def lenient_bool(value: object) -> bool | None:
    """True/"true" -> True, False/"false" -> False; None, unset or anything else -> None."""
    value = unwrap(value)
    if value is True or value == "true":
        return True
    if value is False or value == "false":
        return False
    return None


def str_list(value: object) -> list[str]:
    """A list of strings from a single string, a list, or None/unset (-> [])."""
    value = unwrap(value)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(unwrap(v)) for v in value]
    return []
