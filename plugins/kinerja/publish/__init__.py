"""Publishing: what users read is only what passed its audit.

- `schemas`: write-audit-publish, the audited build schemas copied into the published ones;
- `issues`: issuing a month's scores, frozen with a data cut-off, with numbered reissues.
"""

from kinerja.publish.schemas import PublishError, build_schema, publish, tables_tagged

__all__ = ["PublishError", "build_schema", "publish", "tables_tagged"]
