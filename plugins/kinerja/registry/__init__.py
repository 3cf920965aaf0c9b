"""The registry: who is scored (institutions) and through which official accounts.

`load.py` reads and validates the registry files and loads them into the warehouse;
`demo.py` generates the demo accounts shipped until the real list is curated (not
imported here, so that `python -m kinerja.registry.demo` runs it cleanly).
"""

from kinerja.registry.load import (
    PEER_GROUPS,
    PLATFORMS,
    RegistryError,
    load_registry,
    read_accounts,
    read_institutions,
)

__all__ = [
    "PEER_GROUPS",
    "PLATFORMS",
    "RegistryError",
    "load_registry",
    "read_accounts",
    "read_institutions",
]
