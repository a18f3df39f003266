"""check_vigie_hypervisor: the virtualisation layer itself, on libvirt/KVM or Proxmox VE (R17).

Domain model: in a virtualised environment the hypervisor is a server under contract with
its own probes. One run asks one question (``--mode``) of one hypervisor (``--backend``):

- ``host``: the hypervisor answers; its CPU and memory usage in percent (``-w/-c``);
- ``storage``: each pool's usage in percent (``-w/-c``, ``--include``, ``--ignore``);
- ``guests``: each guest's state (crashed CRITICAL; paused, suspended or blocked WARNING;
  named in ``--expect-running`` but not running CRITICAL; shut off otherwise: listed);
- ``snapshots``: per guest, the age of the oldest snapshot (``-w/-c``, e.g. ``7d``) and
  the number of snapshots (``--count-warning/--count-critical``);
- ``cluster`` (Proxmox VE): quorum, offline nodes (``-w/-c`` on their number), HA errors;
- ``backups`` (Proxmox VE): per guest, the age of its newest backup (``-w/-c``).

The layout follows nagiosplugin's examples: acquisition in ``hypervisor_libvirt`` and
``hypervisor_proxmox`` (behind the Resources of ``hypervisor_probes``), evaluation and
presentation in ``hypervisor_verdicts``, and here the runtime: arguments and the Check.
The Proxmox VE token secret comes from ``VIGIE_PVE_TOKEN_SECRET`` or ``--token-file``,
never from the command line.
"""

from __future__ import annotations

import argparse

from plugins import arguments, runtime
from plugins.arguments import PluginArgumentParser, PluginError, UsageError, age_range
from plugins.hypervisor_probes import RESOURCES, GuestsResource, Selection
from plugins.hypervisor_verdicts import HypervisorSummary, contexts
from plugins.runtime import PluginCheck
from plugins.wording import one_line

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, NoReturn

    from plugins.deadline import Deadline
    from plugins.nagios import Range

NAME = "HYPERVISOR"
PROG = "check_vigie_hypervisor"
SECRET_ENV = "VIGIE_PVE_TOKEN_SECRET"
BACKENDS = ("libvirt", "proxmox")
PROXMOX_ONLY = ("cluster", "backups")
# -w/-c when not given, in each mode's unit (percent, seconds with a unit, offline nodes).
DEFAULT_RANGES = {
    "host": ("90", "95"),
    "storage": ("85", "95"),
    "snapshots": ("7d", "30d"),
    "backups": ("36h", "3d"),
    "cluster": ("0", None),
    "guests": (None, None),
}
AGE_MODES = ("snapshots", "backups")
# What a Proxmox VE node name (a host name) is made of; it goes into API paths as it is.
NODE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._")


# --- argument types ---------------------------------------------------------------------------


def names_list(text: str) -> list[str]:
    """argparse type: a comma-separated list of names (``web01,db01``)."""
    found = [name.strip() for name in text.split(",") if name.strip()]
    if not found:
        raise argparse.ArgumentTypeError(f"expected one or more names, got {text!r}")
    return found


# --- the parser -----------------------------------------------------------------------------


def build_parser() -> PluginArgumentParser:
    """The command line of check_vigie_hypervisor."""
    parser = PluginArgumentParser(
        NAME,
        PROG,
        "Check the virtualisation layer itself: a libvirt/KVM host or a Proxmox VE cluster.",
        epilog="Examples:\n"
        f"  {PROG} --backend libvirt --uri qemu:///system --mode guests --expect-running web01\n"
        f"  {SECRET_ENV}=... {PROG} --backend proxmox --url https://pve1:8006 \\\n"
        "      --token-id monitoring@pve!icinga --node pve1 --mode storage -w 80 -c 90\n",
    )
    what = parser.add_argument_group("what to check")
    what.add_argument("--backend", required=True, choices=BACKENDS, help="the hypervisor's kind")
    what.add_argument(
        "--mode",
        required=True,
        choices=tuple(RESOURCES),
        help="the question asked; cluster and backups need --backend proxmox",
    )
    what.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="NAME",
        help="only this pool or guest (repeatable); a pool named here must exist",
    )
    what.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="NAME",
        help="leave this pool or guest out, by name (or Proxmox VE VMID); repeatable",
    )
    what.add_argument(
        "--expect-running",
        action="append",
        type=names_list,
        default=[],
        metavar="NAMES",
        help="guests that must be running (comma list or repeated): CRITICAL otherwise",
    )
    libvirt = parser.add_argument_group("libvirt")
    libvirt.add_argument(
        "--uri",
        default="qemu:///system",
        help="libvirt connection URI, opened read-only (default %(default)s)",
    )
    libvirt.add_argument(
        "--cpu-sample",
        type=arguments.seconds,
        default=1.0,
        metavar="SECONDS",
        help="host mode: measure CPU usage over this long (default %(default)g)",
    )
    pve = parser.add_argument_group("Proxmox VE")
    pve.add_argument("--url", help="the API's base URL, https://HOST[:PORT] (port 8006 by default)")
    pve.add_argument(
        "--token-id",
        metavar="USER@REALM!TOKENID",
        help=f"API token id; its secret comes from ${SECRET_ENV} or --token-file",
    )
    pve.add_argument("--token-file", metavar="FILE", help="file whose first line is the secret")
    pve.add_argument("--node", help="the node to check (required for --mode host)")
    pve.add_argument("--ca-file", metavar="FILE", help="trust these CA certificates (PEM)")
    pve.add_argument(
        "--insecure", action="store_true", help="do not verify the API's TLS certificate"
    )
    limits = parser.add_argument_group("thresholds")
    limits.add_argument(
        "-w",
        "--warning",
        metavar="RANGE",
        help="WARNING outside this range: percent (host, storage; default 90 and 85), "
        "an age (snapshots 7d, backups 36h), offline nodes (cluster; default 0)",
    )
    limits.add_argument(
        "-c",
        "--critical",
        metavar="RANGE",
        help="CRITICAL outside this range (defaults: host 95, storage 95, snapshots 30d, "
        "backups 3d)",
    )
    limits.add_argument(
        "--count-warning",
        type=arguments.nagios_range,
        metavar="RANGE",
        help="snapshots mode: WARNING when a guest's number of snapshots is outside this range",
    )
    limits.add_argument(
        "--count-critical",
        type=arguments.nagios_range,
        metavar="RANGE",
        help="snapshots mode: CRITICAL when a guest's number of snapshots is outside this range",
    )
    return parser


# --- the check ------------------------------------------------------------------------------


def _ranges(args: argparse.Namespace) -> tuple[Range | None, Range | None]:
    parse = age_range if args.mode in AGE_MODES else arguments.nagios_range
    default_warning, default_critical = DEFAULT_RANGES[args.mode]
    found: list[Range | None] = []
    for flag, given, default in (
        ("--warning", args.warning, default_warning),
        ("--critical", args.critical, default_critical),
    ):
        text = given if given is not None else default
        try:
            found.append(None if text is None else parse(text))
        except argparse.ArgumentTypeError as exc:
            raise UsageError(f"argument {flag}: {exc}") from None
    return found[0], found[1]


def _proxmox(args: argparse.Namespace, deadline: Deadline) -> Any:
    if not args.url or not args.token_id:
        raise UsageError("--backend proxmox needs --url and --token-id")
    if args.mode == "host" and not args.node:
        raise UsageError("--mode host on Proxmox VE needs --node (the node to check)")
    if args.node is not None and not NODE_CHARS.issuperset(args.node):
        raise UsageError(f"--node must be a node's host name, got {one_line(args.node, 80)!r}")
    user, _, token = args.token_id.partition("!")
    if "@" not in user or not token or not args.token_id.isprintable():
        raise UsageError(
            f"--token-id must read USER@REALM!TOKENID, got {one_line(args.token_id, 80)!r}"
        )
    secret = arguments.read_secret(SECRET_ENV, args.token_file, "the API token secret")
    if secret is None:
        raise PluginError(f"no API token secret: set {SECRET_ENV} or give --token-file")
    if not secret.isprintable():
        raise PluginError("the API token secret holds control characters")
    from plugins.hypervisor_proxmox import ProxmoxBackend
    from plugins.pve_api import PveApi

    api = PveApi(
        args.url, args.token_id, secret, deadline, ca_file=args.ca_file, insecure=args.insecure
    )
    return ProxmoxBackend(api)


def build_check(args: argparse.Namespace, deadline: Deadline) -> PluginCheck:
    """The Check for these arguments: the mode's resource, its judges and its summary."""
    if args.backend == "libvirt" and args.mode in PROXMOX_ONLY:
        raise UsageError(f"--mode {args.mode} needs --backend proxmox")
    expect_running = [name for group in args.expect_running for name in group]
    if expect_running and args.mode != "guests":
        raise UsageError("--expect-running applies to --mode guests only")
    warning, critical = _ranges(args)
    if args.backend == "proxmox":
        backend = _proxmox(args, deadline)
    else:
        from plugins.hypervisor_libvirt import LibvirtBackend

        backend = LibvirtBackend(args.uri, deadline, args.cpu_sample)
    selection = Selection(args.include, args.ignore)
    resource: Any
    if args.mode == "guests":
        resource = GuestsResource(backend, args.node, selection, expect_running)
    else:
        resource = RESOURCES[args.mode](backend, args.node, selection)
    judges = contexts(warning, critical, args.count_warning, args.count_critical)
    return PluginCheck(resource, *judges, HypervisorSummary(resource), name=NAME)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """Console script entry point of check_vigie_hypervisor."""
    runtime.run(build_parser(), build_check, argv)
