"""The ``customers:`` section of ``vigie.yaml``: contracts, their servers and alerts (R5, R11,
R12, R14, R16 settings); a host is under one contract only."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import cast

from bridge.config.billing import read_billing
from bridge.config.validate import (
    Checker,
    read_boolean,
    read_choice,
    read_date,
    read_email,
    read_fraction,
    read_integer,
    read_list_of,
    read_optional_money,
    read_phone,
    read_string,
)
from bridge.domain.contract import Alerts, Customer, Language, RefundScope, Server

_CUSTOMER_KEYS = (
    "name",
    "account_manager",
    "approval_threshold",
    "refund_scope",
    "multi_server_discount",
    "flat_fee",
    "alerts",
    "servers",
    "close_on_recovery",
    "billing",
    "language",
)


def read_customers(
    check: Checker, raw: object, level_names: Mapping[str, object]
) -> dict[str, Customer]:
    customers: dict[str, Customer] = {}
    owner_of: dict[str, str] = {}  # host -> customer id: a host is under one contract only
    for customer_id, item in (check.named(raw, "customers", "customer") or {}).items():
        path = f"customers.{customer_id}"
        problems_before = len(check.problems)
        data = check.mapping(item, path, (), _CUSTOMER_KEYS)
        if data is None:
            continue
        name = check.field(data, "name", path, read_string, default=customer_id)
        manager = check.field(
            data, "account_manager", path, lambda v: None if v is None else read_string(v), None
        )
        threshold = check.field(
            data,
            "approval_threshold",
            path,
            lambda v: None if v is None else read_integer(4)(v),  # R11: at least 4 quarters
            None,
        )
        scope = check.field(data, "refund_scope", path, read_choice(RefundScope), "server")
        discount = check.field(
            data, "multi_server_discount", path, read_fraction(upper_open=False), Decimal("0")
        )
        flat_fee = check.field(data, "flat_fee", path, read_optional_money, None)
        close = check.field(data, "close_on_recovery", path, read_boolean, False)
        language = check.field(
            data,
            "language",
            path,
            lambda v: None if v is None else read_choice(Language)(v),
            None,
        )
        alerts = _alerts(check, data.get("alerts"), f"{path}.alerts")
        servers = _servers(check, data.get("servers"), f"{path}.servers", level_names)
        billing = (
            None
            if data.get("billing") is None
            else read_billing(check, data["billing"], f"{path}.billing", customer_id)
        )
        for host in servers:
            if host in owner_of:
                check.add(
                    f"{path}.servers.{host}",
                    f"already under contract in customers.{owner_of[host]}",
                )
            owner_of.setdefault(host, customer_id)
        if len(check.problems) > problems_before:
            continue
        assert name is not None and scope is not None and discount is not None
        assert close is not None and alerts is not None
        customers[customer_id] = Customer(
            id=customer_id,
            name=name,
            servers=servers,
            account_manager=manager,
            approval_threshold=threshold,
            refund_scope=cast("RefundScope", scope),
            multi_server_discount=discount,
            flat_fee=flat_fee,
            alerts=alerts,
            close_on_recovery=close,
            billing=billing,
            language=cast("Language | None", language),
        )
    return customers


def _alerts(check: Checker, raw: object, path: str) -> Alerts | None:
    if raw is None:
        return Alerts()
    data = check.mapping(raw, path, (), ("email", "sms"))
    if data is None:
        return None
    email = check.field(data, "email", path, read_list_of(read_email, "email addresses"), ())
    sms = check.field(data, "sms", path, read_list_of(read_phone, "phone numbers"), ())
    if email is None or sms is None:
        return None
    return Alerts(email=email, sms=sms)


def _servers(
    check: Checker, raw: object, path: str, level_names: Mapping[str, object]
) -> dict[str, Server]:
    servers: dict[str, Server] = {}
    if raw is None:
        return servers
    for host, item in (check.named(raw, path, "server") or {}).items():
        server_path = f"{path}.{host}"
        data = check.mapping(item, server_path, ("level", "since"), ("until",))
        if data is None:
            continue
        level = check.field(data, "level", server_path, read_string)
        # Without usable levels, "unknown level" on every server would only bury the cause.
        if level is not None and level_names and level not in level_names:
            known = ", ".join(sorted(level_names)) or "none defined"
            check.add(f"{server_path}.level", f"unknown level {level!r} (levels: {known})")
            level = None
        since = check.field(data, "since", server_path, read_date)
        until = check.field(
            data, "until", server_path, lambda v: None if v is None else read_date(v)
        )
        if since is not None and until is not None and until < since:
            check.add(f"{server_path}.until", f"is before since ({since}), got {until}")
            continue
        if level is not None and since is not None:
            servers[host] = Server(host, level, since, until)
    return servers
