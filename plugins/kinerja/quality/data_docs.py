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

import contextlib
import fcntl
import html
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from kinerja import config

log = logging.getLogger(__name__)

SITE_NAME = "kinerja"
# The index lists the newest this many validations: building it reads and renders each one,
# and every audit rebuilds it (bench/data_docs_site.py). Older pages stay reachable from
# their task logs until the retention removes them.
INDEX_LIMIT = 500


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
        "class_name": "TupleFilesystemStoreBackend",
        "base_directory": str(results_dir(root)),
    }
    site = {
        "class_name": "SiteBuilder",
        "site_index_builder": {
            "class_name": "DefaultSiteIndexBuilder",
            "validation_results_limit": INDEX_LIMIT,
        },
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site_dir(root))},
        # Suites live in memory per audit, so a suite section would drop every other audit's
        # suite pages; the validation pages show each expectation anyway. No profiling here.
        "site_section_builders": {"expectations": "None", "profiling": "None"},
    }
    return DataContextConfig(store_backend_defaults=defaults, data_docs_sites={SITE_NAME: site})


@contextlib.contextmanager
def run_lock(run_name: str, root: Path | None = None) -> Iterator[None]:
    """`run_name`'s results to one audit at a time, for one step (forget, validate, build pages).

    Two audits of one batch at once (two landings of the same day) share a run name; without
    this, one removed the results the other was writing. Held for a file step only, never
    while waiting for the warehouse, so that it cannot deadlock with the warehouse's locks.
    An audit without a writable site (root None) keeps its results in memory: nothing to lock.
    """
    if root is None:
        yield
        return
    path = root / ".locks" / f"{run_name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        os.utime(path)  # in use now: the retention (prune) leaves it
        yield


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
    lock_dir = (root or config.data_docs_dir()) / ".locks"
    removed = sum(
        _prune_tree(base, cutoff) for base in (results_dir(root), site_dir(root) / "validations", lock_dir)
    )
    removed += _prune_batch_sites(root or config.data_docs_dir(), cutoff)
    if removed:
        log.info("Data Docs: removed %s validation files older than %s days", removed, days)
    return removed


def _prune_tree(base: Path, cutoff: float) -> int:
    """Remove the files under `base` older than `cutoff`, and the folders they leave empty."""
    removed, emptied = 0, set()
    # deepest first (os.walk is much faster than Path.rglob on thousands of pages)
    for folder, subfolders, files in os.walk(base, topdown=False):
        kept = 0
        for name in files:
            if name.startswith(
                "."
            ):  # GX's own files (.ge_store_backend_id) are the store's, not a validation's
                kept += 1
                continue
            path = os.path.join(folder, name)
            try:
                if os.stat(path).st_mtime < cutoff:
                    os.unlink(path)
                    removed += 1
                else:
                    kept += 1
            except FileNotFoundError:  # removed by a concurrent build
                pass
        if folder != str(base) and not kept and all(os.path.join(folder, d) in emptied for d in subfolders):
            with contextlib.suppress(OSError):  # a concurrent audit may just have written here
                os.rmdir(folder)
                emptied.add(folder)
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


def build(context, run_name: str, suite: str, root: Path | None = None) -> str | None:
    """Prune, render this run's validation pages and the index; the file:// URL of `suite`'s page."""
    prune(root=root)
    keys = run_keys(context, run_name, root)
    if not keys:  # an empty list would make GX render every page of the site
        return None
    escape_observed_values(run_name, root)
    context.build_data_docs(site_names=[SITE_NAME], resource_identifiers=keys)
    return page_url(run_name, suite, root)


def escape_observed_values(run_name: str, root: Path | None = None) -> int:
    """HTML-escape the values the data showed in `run_name`'s stored results; the files changed.

    GX's page templates are not autoescaped and put observed values (the unexpected
    values and rows of a failed expectation) into the page as they are: a post id
    `<script>...</script>` from a dropped export would run in the reader's browser. The
    values come from senders, so they are escaped in the results the pages are rendered
    from; the parameters of an expectation (ours) are escaped by GX itself. The warehouse's
    records (audit.validation_results) come from the results in memory, unchanged.
    """
    base = results_dir(root)
    changed = 0
    for path in base.glob(f"*/{run_name}/**/*.json") if base.is_dir() else ():
        document = json.loads(path.read_text())
        meta = document.setdefault("meta", {})
        if meta.get("kinerja_observed_values_escaped"):
            continue
        for result in document.get("results", []):
            if "result" in result:
                result["result"] = _escaped(result["result"])
        meta["kinerja_observed_values_escaped"] = True
        path.write_text(json.dumps(document))
        changed += 1
    return changed


def _escaped(value):
    if isinstance(value, str):
        return html.escape(value)
    if isinstance(value, list):
        return [_escaped(item) for item in value]
    if isinstance(value, dict):
        return {key: _escaped(item) for key, item in value.items()}
    return value


def run_keys(context, run_name: str, root: Path | None = None) -> list:
    """The validation result keys of `run_name`, read from its folders only (not the whole store)."""
    store = context.validation_results_store
    base = results_dir(root)
    suites = [d.name for d in base.iterdir() if (d / run_name).is_dir()] if base.is_dir() else []
    return [
        store.tuple_to_key(key)
        for suite in suites
        for key in store.store_backend.list_keys((suite, run_name))
    ]


def page_url(run_name: str, suite: str, root: Path | None = None) -> str | None:
    """The newest page of `suite` in `run_name`, else of any suite of the run, else the index."""
    validations = site_dir(root) / "validations"
    for pattern in (f"{suite}/{run_name}", f"*/{run_name}"):
        pages = sorted(
            validations.glob(f"{pattern}/**/*.html"), key=lambda p: p.relative_to(validations).parts[2:]
        )
        if pages:
            return pages[-1].as_uri()
    index = site_dir(root) / "index.html"
    return index.as_uri() if index.exists() else None
