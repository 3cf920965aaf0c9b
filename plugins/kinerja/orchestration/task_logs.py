"""Task logs of the DAG runs `make run` makes, written where Airflow's UI reads them.

dag.test() runs every task in its own process and writes no task log file, so the UI
showed an empty log for every task `make run` ran. While such a task runs, the log records
of this process are also written, as the JSON lines Airflow's own task logs are made of, to
the file that Airflow's file task handler reads for that try (`[logging] base_log_folder`
and `log_filename_template`). Under a scheduler the task's supervisor writes that file, and
nothing here is used.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from airflow.sdk._shared.listeners import hookimpl


class _JsonLines(logging.Handler):
    """One JSON object per record, with the fields the UI's log view shows."""

    def __init__(self, path: Path):
        super().__init__(level=logging.INFO)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a", encoding="utf-8")

    def emit(self, record: logging.LogRecord) -> None:
        try:
            event = record.getMessage()
            if record.exc_info:
                event += "\n" + logging.Formatter().formatException(record.exc_info)
            line = {
                "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(),
                "event": event,
                "level": record.levelname.lower(),
                "logger": record.name,
            }
            self._file.write(json.dumps(line, default=str) + "\n")
            self._file.flush()
        except Exception:  # noqa: BLE001 - a log line never fails the task (logging.Handler convention)
            self.handleError(record)

    def close(self) -> None:
        self._file.close()
        super().close()


def log_path(task_instance) -> Path:
    """The file Airflow's UI reads for this try of the task."""
    from airflow.configuration import conf
    from jinja2 import Template

    template = conf.get("logging", "log_filename_template")
    relative = Template(template).render(ti=task_instance, try_number=task_instance.try_number)
    return Path(conf.get("logging", "base_log_folder")) / relative


class TaskLogFiles:
    """A listener: from a task's start to its end, this process's log also goes to its log file."""

    def __init__(self):
        self._handler: _JsonLines | None = None

    @hookimpl
    def on_task_instance_running(self, previous_state, task_instance):
        self.close()
        self._handler = _JsonLines(log_path(task_instance))
        logging.getLogger().addHandler(self._handler)

    @hookimpl
    def on_task_instance_success(self, previous_state, task_instance):
        self.close()

    @hookimpl
    def on_task_instance_failed(self, previous_state, task_instance, error):
        if self._handler is not None and error is not None:
            logging.getLogger(__name__).error("task failed: %s", error)
        self.close()

    @hookimpl
    def on_task_instance_skipped(self, previous_state, task_instance):
        self.close()

    def close(self) -> None:
        if self._handler is not None:
            logging.getLogger().removeHandler(self._handler)
            self._handler.close()
            self._handler = None


@contextmanager
def task_log_files() -> Iterator[None]:
    """While in the block, every task this process runs writes its log file (see the module)."""
    from airflow.sdk.listener import get_listener_manager

    manager = get_listener_manager()
    listener = TaskLogFiles()
    manager.add_listener(listener)
    try:
        yield
    finally:
        listener.close()
        manager.pm.unregister(listener)
