"""The grants: which roles hold each permission. Every package declares its own (``GRANTS``
in its ``service.py``); the registry (``insa.domains``) installs how to load them, and they are
loaded the first time a permission is asked. A leaf of the security package (no database), so
that the registry can install the loader without loading the data model.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping

from insa.security.roles import COMMAND_LINE, ROLES


class UnknownPermission(LookupError):
    """A permission no registered domain declares: a typo, or ``insa.domains`` not loaded."""


_GRANTS: dict[str, set[str]] = {code: set() for code in ROLES}
_DECLARED: set[str] = set()
_LOADER: list[Callable[[], None]] = []  # the registry's load_grants, run once when first needed
_LOCK = threading.RLock()
_LOADING = threading.local()


def install_grants(loader: Callable[[], None]) -> None:
    """The registry hands over how to load every package's grants; they are loaded the first
    time a permission is asked (a command that asks none never imports the services)."""
    _LOADER[:] = [loader]


def _ensure_grants() -> None:
    if not _LOADER or getattr(_LOADING, "on", False):
        return
    with _LOCK:  # other threads wait until every grant is in
        if _LOADER:
            _LOADING.on = True
            try:
                _LOADER[0]()
                _LOADER.clear()
            finally:
                _LOADING.on = False


def grant(domain: str, grants: Mapping[str, Iterable[str]]) -> None:
    """Register the permissions of ``domain`` and the roles that hold them (idempotent).

    Called by :mod:`insa.domains` for every package it lists; a permission must be named
    ``<domain>.<action>_<entity>`` and every role must exist in the role table. Permissions
    listed under ``"cli"`` are held by the command line only (it holds every permission)."""
    for role, permissions in grants.items():
        if role not in ROLES:
            raise ValueError(f"{domain}: unknown role {role!r} in GRANTS")
        for permission in permissions:
            prefix, _, action = permission.partition(".")
            if prefix != domain or "_" not in action:
                raise ValueError(
                    f"{domain}: permission {permission!r} is not {domain}.<action>_<entity>"
                )
            _DECLARED.add(permission)
            if role != COMMAND_LINE:
                _GRANTS[role].add(permission)


def declared() -> frozenset[str]:
    _ensure_grants()
    return frozenset(_DECLARED)


def permissions_of(role: str) -> frozenset[str]:
    _ensure_grants()
    if role == COMMAND_LINE:
        return frozenset(_DECLARED)
    return frozenset(_GRANTS.get(role, ()))


def granted(role: str, permission: str) -> bool:
    """Whether ``role`` holds ``permission`` (the command line holds every permission); an
    undeclared permission is an error, not a silent no."""
    _ensure_grants()  # at once when loaded; while another thread loads, wait for all of it
    if permission not in _DECLARED:
        raise UnknownPermission(permission)
    return role == COMMAND_LINE or permission in _GRANTS.get(role, ())
