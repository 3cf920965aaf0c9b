"""The one Great Expectations Data Docs site of every audit, and how long it keeps a page.

Every audit (raw batches, the registry, the build schemas) validates in its own in-memory GX
context, but all of them share two folders under `config.data_docs_dir()`:

- `results/`, GX's validation results store (one JSON per validation, a filesystem store);
- `site/`, the Data Docs site built from that store: `site/index.html` lists every kept
  validation, `site/validations/<suite>/<run name>/<run time>/<batch>.html` is one page.

An audit renders only its own validations' pages (GX's incremental build, `resource_identifiers`)
and rebuilds the index; the static assets are shared. A re-run of the same audit (same run
name) replaces its earlier pages. Pages and results older than
`config.data_docs_retention_days()` are removed whenever docs are built, so the site stays the
size of the retention window however many batches land. Nothing here fails an audit: the
engine catches any error and logs it.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

from kinerja import config

log = logging.getLogger(__name__)

SITE_NAME = "kinerja"


def results_dir(root: Path | None = None) -> Path:
    """GX's validation results store of the site (JSON, one file per validation)."""
    return (root or config.data_docs_dir()) / "results"


def site_dir(root: Path | None = None) -> Path:
    """The HTML site: index.html, validations/, static/."""
    return (root or config.data_docs_dir()) / "site"


def context_config(root: Path | None = None):
    """A GX project config: in-memory suites and definitions, results and the site on disk."""
    from great_expectations.data_context.types.base import DataContextConfig, InMemoryStoreBackendDefaults

    defaults = InMemoryStoreBackendDefaults(init_temp_docs_sites=False)
    defaults.stores[defaults.validation_results_store_name]["store_backend"] = {
        "class_name": "TupleFilesystemStoreBackend", "base_directory": str(results_dir(root)),
    }
    site = {
        "class_name": "SiteBuilder",
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site_dir(root))},
        # Suites live in memory per audit, so a suite section would drop every other audit's
        # suite pages; the validation pages show each expectation anyway. No profiling here.
        "site_section_builders": {"expectations": "None", "profiling": "None"},
    }
    return DataContextConfig(store_backend_defaults=defaults, data_docs_sites={SITE_NAME: site})


def forget_run(run_name: str, root: Path | None = None) -> None:
    """Remove the results and pages of an earlier run of the same audit: a re-run replaces them."""
    for base in (results_dir(root), site_dir(root) / "validations"):
        if base.is_dir():
            for suite in base.iterdir():
                shutil.rmtree(suite / run_name, ignore_errors=True)


def prune(retention_days: int | None = None, root: Path | None = None, now: float | None = None) -> int:
    """Remove validation results and pages older than the retention; the number of files removed.

    Age is the file's modification time: when the validation was run or its page built.
    """
    days = config.data_docs_retention_days() if retention_days is None else retention_days
    cutoff = (now or time.time()) - days * 86400
    removed = 0
    for base in (results_dir(root), site_dir(root) / "validations"):
        if not base.is_dir():
            continue
        for path in base.rglob("*"):
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        _remove_empty_folders(base)
    removed += _prune_batch_sites(root or config.data_docs_dir(), cutoff)
    if removed:
        log.info("Data Docs: removed %s validation files older than %s days", removed, days)
    return removed


def _prune_batch_sites(root: Path, cutoff: float) -> int:
    """Remove the whole GX sites that audits wrote per batch before the one site, once past the retention."""
    removed = 0
    if not root.is_dir():
        return removed
    for folder in root.iterdir():
        index = folder / "index.html"
        if folder.name not in ("results", "site") and index.is_file() and index.stat().st_mtime < cutoff:
            removed += sum(1 for p in folder.rglob("*") if p.is_file())
            shutil.rmtree(folder, ignore_errors=True)
    return removed


def _remove_empty_folders(base: Path) -> None:
    # deepest first, so that a folder emptied by its children goes too
    for folder in sorted((p for p in base.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        try:
            folder.rmdir()
        except OSError:  # not empty, or removed by a concurrent build
            pass


def build(context, run_name: str, suite: str, root: Path | None = None) -> str | None:
    """Prune, render this run's validation pages and the index; the file:// URL of `suite`'s page."""
    prune(root=root)
    keys = [key for key in context.validation_results_store.list_keys() if key.run_id.run_name == run_name]
    if not keys:  # an empty list would make GX render every page of the site
        return None
    context.build_data_docs(site_names=[SITE_NAME], resource_identifiers=keys)
    return page_url(run_name, suite, root)


def page_url(run_name: str, suite: str, root: Path | None = None) -> str | None:
    """The newest page of `suite` in `run_name`, else of any suite of the run, else the index."""
    validations = site_dir(root) / "validations"
    for pattern in (f"{suite}/{run_name}", f"*/{run_name}"):
        pages = sorted(validations.glob(f"{pattern}/**/*.html"), key=lambda p: p.relative_to(validations).parts[2:])
        if pages:
            return pages[-1].as_uri()
    index = site_dir(root) / "index.html"
    return index.as_uri() if index.exists() else None
