"""The registry: who is scored (institutions) and through which official accounts.

`check.py` holds the rules of the registry files and reports every problem at once;
`load.py` reads the files (after those checks) and loads them into the warehouse;
`demo.py` generates the demo accounts shipped until the real list is curated (not
imported here, so that `python -m kinerja.registry.demo` runs it cleanly).
"""

from kinerja.registry.check import Problem, check_registry
from kinerja.registry.load import (
    PEER_GROUPS,
    RegistryError,
    load_registry,
    read_accounts,
    read_institutions,
)

__all__ = [
    "PEER_GROUPS",
    "Problem",
    "RegistryError",
    "check_registry",
    "load_registry",
    "read_accounts",
    "read_institutions",
]
