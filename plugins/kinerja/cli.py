"""The `kinerja` command."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import traceback
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import psycopg
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from kinerja import config

app = typer.Typer(
    help="Kinerja: national warehouse of government social-media performance.", no_args_is_help=True
)
warehouse_app = typer.Typer(help="The warehouse server.", no_args_is_help=True)
registry_app = typer.Typer(help="The registry of institutions and accounts.", no_args_is_help=True)
filedrop_app = typer.Typer(
    help="The file drop: exports institution admins drop into their inbox folder.", no_args_is_help=True
)
app.add_typer(warehouse_app, name="warehouse")
app.add_typer(registry_app, name="registry")
app.add_typer(filedrop_app, name="filedrop")
roles_app = typer.Typer(help="The warehouse's database roles and row security.", no_args_is_help=True)
app.add_typer(roles_app, name="roles")
console = Console()


def _month(value: str | None) -> date:
    if not value:
        from kinerja.orchestration.runner import last_complete_month

        return last_complete_month(date.today())
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a month: write it as YYYY-MM, e.g. 2026-10") from None


@app.command()
def run(
    month: str = typer.Option(None, help="Month to run, YYYY-MM (default: the last complete month)."),
) -> None:
    """Land every day of a month in one history run of the daily DAG, then the monthly DAG, through Airflow."""
    from kinerja.orchestration import runner

    chosen = _month(month)
    days = runner.days_of_month(chosen)
    with _pipeline(f"run-{chosen:%Y-%m}") as (terminal, params, started):
        terminal.print(f"Kinerja: {chosen:%Y-%m} ({len(days)} days) in one history run, then the monthly run")
        _run_range(terminal, params, days)
        with terminal.status(f"kinerja_monthly for {chosen:%Y-%m}: scores and scorecards..."):
            runner.run_monthly(chosen)
        _report(terminal, params, chosen, time.monotonic() - started)


@app.command()
def history(
    first_day: Annotated[str, typer.Argument(help="The first day to land, YYYY-MM-DD.")],
    last_day: Annotated[str, typer.Argument(help="The last day to land, YYYY-MM-DD.")],
) -> None:
    """Land a range of days (a backfill) in one run of the daily DAG, built, audited and published once."""
    from kinerja.landing.plan import days_between

    try:
        days = days_between(_date(first_day), _date(last_day))
    except ValueError as wrong:
        raise typer.BadParameter(str(wrong)) from None
    with _pipeline(f"history-{days[0]}-{days[-1]}") as (terminal, params, started):
        _run_range(terminal, params, days)
        terminal.print(
            f"Landed, built and published {days[0]}..{days[-1]} in {time.monotonic() - started:,.0f} s."
        )


@app.command()
def repair(
    first_day: Annotated[str, typer.Option("--first-day", help="The first day to repair, YYYY-MM-DD.")],
    last_day: Annotated[str, typer.Option("--last-day", help="The last day to repair, YYYY-MM-DD.")],
    pull_again: Annotated[
        bool,
        typer.Option(
            "--pull-again",
            help="Leave the API batches as they are and pull the range's days from the platforms again "
            "(when their archived payloads are gone).",
        ),
    ] = False,
) -> None:
    """Rebuild the raw layer of a day range from the archive (file drop files, API payloads) and the
    simulator, then the warehouse.

    Every batch with a row in the range is taken out whole and landed again; then a history run
    of the range builds, audits and publishes it. `kinerja warehouse fingerprint` before and
    after shows what changed (nothing, for an undamaged range).
    """
    from kinerja import repair as raw_repair
    from kinerja.landing.plan import days_between

    try:
        days = days_between(_date(first_day), _date(last_day))
    except ValueError as wrong:
        raise typer.BadParameter(str(wrong)) from None
    with _pipeline(f"repair-{days[0]}-{days[-1]}") as (terminal, params, started):
        with terminal.status(f"Rebuilding the raw layer of {days[0]}..{days[-1]} from the archive..."):
            done = raw_repair.rebuild_raw(params, days[0], days[-1], pull_again=pull_again)
        terminal.print(
            f"[green]✓[/] raw layer: {len(done.taken_out())} batch(es) landed again "
            f"({len(done.simulator_days)} simulator day(s), {len(done.files)} archived file(s), "
            f"{len(done.api_batches)} API batch(es) from archived payloads)"
        )
        if done.api_batches_left:
            terminal.print(
                f"  {len(done.api_batches_left)} API batch(es) left as they are: the history run pulls their days again"
            )
        _run_range(terminal, params, days, pull_api=pull_again)
        terminal.print(f"Repaired {days[0]}..{days[-1]} in {time.monotonic() - started:,.0f} s.")


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a day: write it as YYYY-MM-DD, e.g. 2026-10-01") from None


@contextmanager
def _pipeline(log_name: str):
    """The warehouse and Airflow ready, this process's output in a log file; yields the terminal,
    the warehouse and the start time. A failure is told on the terminal and exits 1."""
    from kinerja.orchestration import runner
    from kinerja.warehouse import ensure_warehouse

    log_path = config.local_dir() / "logs" / f"{log_name}.log"
    started = time.monotonic()
    # Airflow, dbt and the tasks write their logs to the log file; the terminal shows progress.
    with _output_to(log_path) as terminal:
        terminal.print(f"  logs of every task: {log_path}")
        try:
            embedded = config.warehouse_url() is None  # before prepare(), which sets it for the tasks
            with terminal.status("Starting the warehouse and preparing Airflow's metadata database..."):
                params = ensure_warehouse()
                runner.prepare(params)
            where = f"embedded PostgreSQL under {config.local_dir()}" if embedded else params.host
            terminal.print(f"[green]✓[/] warehouse ready ({where}); Airflow metadata database migrated")
            yield terminal, params, started
        except Exception as failure:  # noqa: BLE001 - the terminal must say what broke; the log keeps the traceback
            traceback.print_exc()
            terminal.print(f"[red]✗ {type(failure).__name__}: {failure}[/]", highlight=False)
            if isinstance(failure, psycopg.OperationalError) and config.warehouse_url():
                terminal.print("  Check KINERJA_WAREHOUSE_URL, or unset it to use the embedded server.")
            terminal.print(f"  The full story is in {log_path}.")
            raise typer.Exit(1) from None


def _run_range(terminal: Console, params, days: list[date], pull_api: bool = True) -> None:
    """One kinerja_daily history run of `days`, with a progress bar of the days audited, the days
    landed and the task running."""
    from kinerja.orchestration import runner

    with Progress(
        TextColumn("[bold]kinerja_daily[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("days audited · {task.description}"),
        TimeElapsedColumn(),
        console=terminal,
    ) as progress:
        bar = progress.add_task("starting", total=len(days))
        told: list[str] = []

        def show(now: runner.RangeProgress) -> None:
            doing = "done" if now.finished else now.running
            progress.update(
                bar, completed=now.days_audited, description=f"{now.days_landed} landed · {doing or ''}"
            )
            if not terminal.is_terminal and doing and doing not in told:  # a log file: one line per task
                told.append(doing)
                terminal.print(
                    f"kinerja_daily: {now.days_landed}/{len(days)} days landed, {now.days_audited} audited; {doing}"
                )

        with runner.watching_range(params, days[0], days[-1], show):
            runner.run_range(days[0], days[-1], pull_api)


@contextmanager
def _output_to(log_path: Path):
    """Send this process's stdout and stderr (file descriptors too) to `log_path`; yield a terminal console."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    terminal = Console(file=os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1))
    saved = os.dup(1), os.dup(2)
    with open(log_path, "ab") as log:
        sys.stdout.flush(), sys.stderr.flush()
        os.dup2(log.fileno(), 1), os.dup2(log.fileno(), 2)
        try:
            yield terminal
        finally:
            sys.stdout.flush(), sys.stderr.flush()
            os.dup2(saved[0], 1), os.dup2(saved[1], 2)
            os.close(saved[0]), os.close(saved[1])


def _report(terminal: Console, params, month: date, seconds: float) -> None:
    from kinerja.warehouse import connect

    with connect(params) as conn:
        landed = conn.execute(
            "select count(*) from raw.account_daily where metric_date >= %s and metric_date < %s + interval '1 month'",
            [month, month],
        ).fetchone()[0]
        rows = conn.execute(
            """
            select peer_group, rank_in_peer_group, institution_name, ikms, peer_group_size
            from reports.rpt_institution_scores_monthly
            where month = %s and rank_in_peer_group <= 3
            order by array_position(array['kementerian','lembaga','provinsi','kabupaten','kota'], peer_group),
                     rank_in_peer_group, institution_name
            """,
            [month],
        ).fetchall()
    table = Table(title=f"IKMS {month:%Y-%m}: top 3 per peer group")
    for column in ("peer group", "rank", "institution", "IKMS"):
        table.add_column(column, justify="right" if column in ("rank", "IKMS") else "left")
    for peer_group, rank, name, ikms, size in rows:
        table.add_row(peer_group, f"{rank} / {size}", name, f"{ikms:.1f}")
    terminal.print(table)
    terminal.print(f"Landed {landed:,} account-days for {month:%Y-%m} in {seconds:,.0f} s.")
    terminal.print(f"Scorecards: [bold]{config.scorecards_dir() / f'{month:%Y-%m}' / 'index.html'}[/]")


@app.command("dbt-parse")
def dbt_parse() -> None:
    """Write dbt_project/target/manifest.json, which the DAGs render their dbt tasks from."""
    from kinerja import dbt_commands as dbt
    from kinerja.warehouse import ensure_warehouse

    console.print(f"manifest: {dbt.parse(ensure_warehouse())}")


# What `kinerja lint-sql` lints when given no arguments: the folders whose files are dbt
# nodes (the dbt templater compiles nodes; macros are not nodes).
SQL_LINT_PATHS = ("models", "analyses", "tests", "snapshots")


@app.command(
    "lint-sql",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def lint_sql(
    ctx: typer.Context,
    keep_server: bool = typer.Option(False, help="Leave the embedded server running if this started it."),
) -> None:
    """Run sqlfluff (.sqlfluff at the repo root) on the dbt project, with the warehouse's profile variables.

    Without arguments: `sqlfluff lint` over the dbt models (and analyses, tests, snapshots if any).
    Arguments go to sqlfluff, e.g. `kinerja lint-sql fix dbt_project/models`. The dbt templater
    compiles every model, which needs a database connection: KINERJA_WAREHOUSE_URL, or the
    embedded server, which is stopped afterwards if this command started it.
    """
    from kinerja.warehouse import embedded, ensure_warehouse

    project = config.dbt_project_dir()
    root = config.PROJECT_ROOT
    paths = [os.path.relpath(project / p, root) for p in SQL_LINT_PATHS if (project / p).is_dir()]
    args = list(ctx.args) or ["lint", *paths]
    started_here = config.warehouse_url() is None and not (embedded.pgdata_dir() / "postmaster.pid").exists()
    try:
        with _what_to_do_on_failure():
            env = config.process_environment(config.dbt_environment(ensure_warehouse()))
        # compile into a folder of its own: target/ holds the manifest the DAGs render
        env["DBT_TARGET_PATH"] = str(config.local_dir() / "dbt-lint-target")
        result = subprocess.run([sys.executable, "-m", "sqlfluff", *args], env=env, cwd=root, check=False)
    finally:
        if started_here and not keep_server:
            embedded.stop()
    raise typer.Exit(result.returncode)


@warehouse_app.command("start")
def warehouse_start() -> None:
    """Start the embedded server (or check the one KINERJA_WAREHOUSE_URL names)."""
    from kinerja.warehouse import ensure_warehouse

    console.print(ensure_warehouse().conninfo())


@warehouse_app.command("stop")
def warehouse_stop() -> None:
    """Stop the embedded server under .local/."""
    from kinerja.warehouse import embedded

    console.print("stopped" if embedded.stop() else "the embedded server was not running")


@warehouse_app.command("url")
def warehouse_url() -> None:
    """Print the warehouse's connection string, libpq `key=value` (starts the embedded server if needed).

    psql takes it, and so does KINERJA_WAREHOUSE_URL.
    """
    from kinerja.warehouse import ensure_warehouse

    print(ensure_warehouse().conninfo())


@warehouse_app.command("psql")
def warehouse_psql() -> None:
    """Open psql on the warehouse."""
    from pgserver._commands import POSTGRES_BIN_PATH

    from kinerja.warehouse import ensure_warehouse

    subprocess.run([str(POSTGRES_BIN_PATH / "psql"), ensure_warehouse().conninfo()], check=False)


@warehouse_app.command("fingerprint")
def warehouse_fingerprint() -> None:
    """Print a content hash of every raw, audit, registry, published and issued table: equal before and after a re-run."""
    from kinerja.warehouse import connect
    from kinerja.warehouse.fingerprint import warehouse_fingerprints

    with connect() as conn:
        for table, digest in warehouse_fingerprints(conn).items():
            print(f"{digest}  {table}")


@app.command("publish")
def publish_command(
    recreate: Annotated[
        list[str] | None,
        typer.Option(
            help="A published table (layer.name, e.g. marts.dim_regions) to drop and create anew from "
            "its build, after its model changed shape. Repeat for several."
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(help="Publish although the build's dbt tests or build audit failed (needs --reason)."),
    ] = False,
    reason: Annotated[
        str | None,
        typer.Option(help="Why a failed build is published anyway; recorded in ops.publish_overrides."),
    ] = None,
) -> None:
    """Publish every audited build table (build_marts, build_reports) to marts and reports, in full.

    The DAGs publish after each passing build on their own; run this after a model changed
    shape (with --recreate) or after a full rebuild outside the DAGs. A build whose latest dbt
    tests or build audit failed is refused, naming each failure.
    """
    from kinerja.publish import PublishError, publish
    from kinerja.publish.gate import PublishRefused, check_before_publish
    from kinerja.warehouse import connect

    with _what_to_do_on_failure(), connect() as conn:
        try:
            overridden = check_before_publish(conn, force=force, reason=reason)
            published = publish(conn, recreate=set(recreate or ()))
        except (PublishError, PublishRefused) as error:
            console.print(Text("✗ ", style="red") + Text(str(error)), soft_wrap=True)
            raise typer.Exit(1) from None
    if overridden:
        console.print(
            Text(
                f"! published although {len(overridden)} check(s) failed (forced: {reason})", style="yellow"
            ),
            soft_wrap=True,
        )
    table = Table("published table", "rows", "how")
    for item in published:
        table.add_row(item.table, f"{item.rows:,}", item.how)
    console.print(table)


@app.command("import")
def import_command(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="History files in the canonical import format (.csv or .parquet; docs/runbook.md)."
        ),
    ],
) -> None:
    """Import history from another system: archive each file, land it as source `import`, audit it.

    Account-day files (platform, account_id, metric_date and metric columns named as the
    catalogue) and per-post files (with post_id, as_of_date, published_at). Each calendar
    month of a file is one batch, audited like any other; a bad cell holds back its row and
    names file, row and column, and the rest lands. Importing a file again changes nothing.
    The next daily run builds and publishes the days imported.
    """
    from kinerja.landing.imports import import_file
    from kinerja.warehouse import connect, ensure_warehouse

    params = ensure_warehouse()
    problems = False
    days = []
    with _what_to_do_on_failure(), connect(params) as conn:
        for path in files:
            report = import_file(conn, path)
            for line in report.lines():
                console.print(Text(line), soft_wrap=True)
            problems |= bool(report.imported.problems or report.rejected_batches)
            days += list(report.days or ())
        if days:
            _extend_calendar(conn, params, min(days), max(days))
    if problems:
        console.print(
            "Correct what is listed in the file and import it again: rows landed before stay as they are."
        )
        raise typer.Exit(1)


def _extend_calendar(conn, params, first: date, last: date) -> None:
    """Rebuild and publish dim_dates when imported days lie outside the published calendar.

    The daily run publishes the imported days with their foreign key to dim_dates, which
    only the monthly run rebuilds: history older than the calendar would fail that publish.
    """
    from kinerja import dbt_commands as dbt
    from kinerja.publish import publish

    if conn.execute("select to_regclass('marts.dim_dates')").fetchone()[0] is None:
        return  # no calendar published yet: the first monthly run builds it from the data
    calendar = conn.execute("select min(date_day), max(date_day) from marts.dim_dates").fetchone()
    if calendar[0] is not None and calendar[0] <= first and last <= calendar[1]:
        return
    dbt.run_dbt(params, "build", "--select", "dim_dates")
    publish(conn, only={"marts.dim_dates"})
    console.print(f"The calendar (marts.dim_dates) now spans {first} to {last} and the years around them.")


@roles_app.command("apply")
def roles_apply() -> None:
    """Create the loader, transformer, BI and province roles; grant and row-secure the published tables.

    Idempotent; the daily DAG runs it after publish. Passwords come from KINERJA_ROLE_PASSWORD_<SUFFIX>
    (the BI role also KINERJA_BI_PASSWORD): a role without one is created NOLOGIN.
    """
    from kinerja.warehouse import connect
    from kinerja.warehouse.roles import RolesError, apply_roles

    with _what_to_do_on_failure(), connect() as conn:
        try:
            report = apply_roles(conn)
        except RolesError as error:
            console.print(Text("✗ ", style="red") + Text(str(error)), soft_wrap=True)
            raise typer.Exit(1) from None
    table = Table("published table", "readers' rows")
    for name, rule in sorted(report.tables.items()):
        table.add_row(name, rule)
    console.print(table)
    for line in report.summary().splitlines()[1:]:
        console.print(line, soft_wrap=True)


@roles_app.command("passwords")
def roles_passwords(
    file: Annotated[
        Path | None,
        typer.Option(help="Complete this env file (kept passwords, mode 600) instead of printing one."),
    ] = None,
) -> None:
    """Make a password for every province role of the registry files, as an env file for docker compose.

    Prints `KINERJA_ROLE_PASSWORD_PROV_<code>=...` lines; with --file, adds the missing ones to that
    file and never changes a password it holds. docs/runbook.md, "The production stack".
    """
    from kinerja.warehouse.roles import province_passwords_env_file, read_env_file, registry_province_codes

    with _what_to_do_on_failure():
        codes = registry_province_codes(config.registry_dir())
    existing = read_env_file(file.read_text()) if file and file.exists() else {}
    text, added = province_passwords_env_file(codes, existing)
    if file is None:
        typer.echo(text, nl=False)
        return
    file.touch(mode=0o600)
    file.chmod(0o600)
    file.write_text(text)
    typer.echo(f"{file}: {len(added)} password(s) added, {len(codes) - len(added)} kept", err=True)


@registry_app.command("check")
def registry_check(
    registry_dir: Annotated[
        Path | None, typer.Argument(help="Folder of the registry files (default: the shipped registry).")
    ] = None,
) -> None:
    """Check the registry files and list every problem: file, line, column and what to do."""
    from kinerja.registry import check_registry

    folder = registry_dir or config.registry_dir()
    problems = check_registry(folder)
    for problem in problems:  # each names file, line and column, and says what to do
        console.print(Text("✗ ", style="red") + Text(str(problem)), soft_wrap=True)
    if problems:
        console.print(f"{len(problems)} problem(s) in {folder}: nothing was loaded.")
        raise typer.Exit(1)
    console.print(f"[green]✓[/] registry in {folder} is valid")


@registry_app.command("load")
def registry_load() -> None:
    """Load the registry files into the warehouse."""
    from kinerja.tasks.registry import sync_registry

    console.print(sync_registry())


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a day: write it as YYYY-MM-DD, e.g. 2026-10-05") from None


@contextmanager
def _what_to_do_on_failure():
    """Turn the usual failures into one sentence that says what to do next, and exit 1."""
    from kinerja.registry import RegistryError

    try:
        yield
    except config.SettingError as error:  # the message names the setting and how to write it
        console.print(Text("✗ ", style="red") + Text(str(error)), soft_wrap=True)
        raise typer.Exit(1) from None
    except RegistryError as error:
        console.print(Text("✗ ", style="red") + Text(str(error)), soft_wrap=True)
        console.print(
            "The registry files are invalid: run `kinerja registry check`, fix what it lists, and try again."
        )
        raise typer.Exit(1) from None
    except psycopg.errors.UndefinedTable as error:
        console.print(f"[red]✗[/] {error.diag.message_primary}", highlight=False)
        console.print("The warehouse has no tables yet: run `kinerja registry load` once, then try again.")
        raise typer.Exit(1) from None
    except psycopg.OperationalError as error:
        console.print(
            f"[red]✗[/] the warehouse cannot be reached: {str(error).strip().splitlines()[0]}",
            highlight=False,
        )
        if config.warehouse_url():
            console.print(
                "Check KINERJA_WAREHOUSE_URL (or unset it to use the embedded server), then try again."
            )
        else:
            console.print("Start the embedded server with `kinerja warehouse start`, then try again.")
        raise typer.Exit(1) from None


_WIB = ZoneInfo(config.DEFAULT_TIMEZONE)
_STATUS_STYLE = {
    "landed": "green",
    "partly_held": "yellow",
    "duplicate": "cyan",
    "rejected": "red",
    "failed": "red",
    "gone": "yellow",
}


@filedrop_app.command("process")
def filedrop_process(
    day: str = typer.Option(
        None,
        help="The day the files count as received, YYYY-MM-DD (default: today, WIB). It caps the days "
        "an export can cover and decides the year of exports that print none (TikTok).",
    ),
) -> None:
    """Land every new file of the inbox now, as the daily run does, and show what became of each."""
    from datetime import timedelta

    from kinerja.tasks.sources import land_file_drops, local_today

    received = _day(day) or local_today()
    with _what_to_do_on_failure():
        summary = land_file_drops(received - timedelta(days=1), today=received)
    inbox = config.filedrop_inbox()
    if not summary["messages"]:
        console.print(
            Text(f"No new files in {inbox}. An admin drops an export into {inbox}/<institution_id>/.")
        )
        return
    table = Table(title=Text(f"File drop: {inbox}"))
    for column in ("institution", "file", "status", "rows landed", "held"):
        table.add_column(
            column, justify="right" if column in ("rows landed", "held") else "left", overflow="fold"
        )
    for row in summary["file_rows"]:  # names as Text: a file name is never read as markup
        table.add_row(
            Text(row["institution_id"]),
            Text(row["file"]),
            Text(row["status"], style=_STATUS_STYLE.get(row["status"], "")),
            str(row["rows_landed"]),
            str(row["rows_quarantined"]),
        )
    console.print(table)
    for message in summary["messages"]:  # whole sentences, never cut by the table's width
        console.print(Text("• ") + Text(message), soft_wrap=True)
    for audit in summary["audits"]:
        if audit["status"] == "rejected":
            console.print(Text("✗ ", style="red") + Text(audit["reason"]), soft_wrap=True)
        elif audit["status"] == "failed":  # a fault in the audit: the next run audits the batch again
            console.print(Text("✗ the audit failed: ", style="red") + Text(audit["reason"]), soft_wrap=True)
    counts = ", ".join(f"{n} {status}" for status, n in sorted(summary["files"].items()))
    console.print(
        Text(
            f"{counts}. Rejected files are in {inbox / '_rejected'}/<institution_id>/ with a note "
            "saying what was wrong; rows held back are in raw.filedrop_quarantine."
        )
    )


@filedrop_app.command("status")
def filedrop_status(
    institution: str = typer.Option(
        None, help="Only this institution's files (its registry id, e.g. kab-5101)."
    ),
    limit: int = typer.Option(50, help="Show at most this many files, the latest first."),
) -> None:
    """List the files dropped so far (raw.filedrop_files): what became of each, and why."""
    from kinerja.landing.filedrop import file_statuses
    from kinerja.warehouse import connect, ensure_warehouse

    with _what_to_do_on_failure(), connect(ensure_warehouse()) as conn:
        files = file_statuses(conn, institution, limit)
    if not files:
        where = f" from {institution}" if institution else ""
        console.print(
            Text(f"No files dropped yet{where}. Process the inbox with `kinerja filedrop process`.")
        )
        return
    table = Table(title="Files dropped (raw.filedrop_files), latest first")
    numeric = ("landed", "held", "audit held", "drops")
    columns = ("institution", "file", "status", "format", "accounts", "landed", "held", "audit", "audit held")
    for column in (*columns, "drops", "last dropped"):
        table.add_column(column, justify="right" if column in numeric else "left", overflow="fold")
    for f in files:  # names as Text: a file name is never read as markup
        table.add_row(
            Text(f["institution_id"]),
            Text(f["file"]),
            Text(f["status"], style=_STATUS_STYLE.get(f["status"], "")),
            Text(f["format"] or ""),
            Text(f["accounts"] or ""),
            str(f["rows_landed"]),
            str(f["rows_held"]),
            Text(f["audit"] or "", style="red" if "rejected" in (f["audit"] or "") else ""),
            str(f["rows_audit_rejected"]),
            str(f["drops"]),
            f"{f['last_dropped_at'].astimezone(_WIB):%Y-%m-%d %H:%M} WIB",
        )
    console.print(table)
    for f in files:  # whole sentences, never cut by the table's width
        shown = f"{f['institution_id']}/{f['file']}: "
        if f["status"] != "landed":  # partly held, rejected, failed: say why
            console.print(Text(f"✗ {shown}", style="red") + Text(f["message"] or ""), soft_wrap=True)
        if f["audit_summary"]:
            console.print(
                Text(f"✗ {shown}the audit rejected it: ", style="red") + Text(f["audit_summary"]),
                soft_wrap=True,
            )
        elif f["rows_audit_rejected"]:
            console.print(
                Text(f"! {shown}", style="yellow")
                + Text(f"the audit held {f['rows_audit_rejected']} of its landed rows (raw.quarantine)"),
                soft_wrap=True,
            )


@app.command("watchdog")
def watchdog_command(
    at: str = typer.Option(None, help="Judge as of this time in WIB, YYYY-MM-DDTHH:MM (default: now)."),
    freshness: bool = typer.Option(
        True, help="Also run dbt source freshness on the raw sources (about 10 s)."
    ),
) -> None:
    """Check, as the hourly kinerja_watchdog DAG does, that the days due by now landed and the sources are fresh."""
    from kinerja import monitoring
    from kinerja.tasks.monitoring import watch_source_freshness
    from kinerja.warehouse import connect, ensure_warehouse

    try:
        now = datetime.fromisoformat(at).replace(tzinfo=_WIB) if at else datetime.now(_WIB)
    except ValueError:
        raise typer.BadParameter(
            f"'{at}' is not a time: write it as YYYY-MM-DDTHH:MM, e.g. 2026-10-06T12:00"
        ) from None
    alarms = []
    with _what_to_do_on_failure(), connect(ensure_warehouse()) as conn:
        status = monitoring.landing_status(conn, now)
        try:
            monitoring.check_landing(conn, now)
        except monitoring.WatchdogAlarm as alarm:
            alarms.append(str(alarm))
    table = Table(title=f"Days due by {now:%Y-%m-%d %H:%M} WIB: up to {monitoring.expected_day(now)}")
    for column in ("platform", "last landed day", "missing days (accounts reported of active)"):
        table.add_column(column, overflow="fold")
    for item in status:
        missing = ", ".join(f"{day} ({reported}/{active})" for day, reported, active in item.missing_days)
        table.add_row(
            item.platform, str(item.last_landed_day or "never"), f"[red]{missing}[/]" if missing else "none"
        )
    console.print(table)
    if freshness:
        try:
            for name, item in watch_source_freshness().items():
                console.print(
                    f"source {name}: {item['status']} (newest {item['max_loaded_at']}, {item['age_hours']} h ago)"
                )
        except monitoring.WatchdogAlarm as alarm:
            alarms.append(str(alarm))
    for alarm in alarms:
        console.print(Text("✗ ", style="red") + Text(alarm), soft_wrap=True)
    if alarms:
        raise typer.Exit(1)
    console.print(
        "[green]✓[/] every day due has landed" + (" and the raw sources are fresh" if freshness else "")
    )


scorecards_app = typer.Typer(
    help="The monthly scorecards: render an issued month as PDF and HTML.", no_args_is_help=True
)
app.add_typer(scorecards_app, name="scorecards")


@scorecards_app.command("render")
def scorecards_render(
    month: str = typer.Option(..., help="The issued month, YYYY-MM."),
    institution: str = typer.Option(None, help="Only this institution's scorecard (registry id)."),
    province: str = typer.Option(
        None, help="Only this province's report and its institutions (code, e.g. 51)."
    ),
    lang: str = typer.Option(
        None, help="Language: id (Bahasa Indonesia) or en (English); default: KINERJA_SCORECARD_LANGUAGES."
    ),
    issue: int = typer.Option(None, help="Render this issue number (default: the month's latest)."),
    out: Annotated[
        Path | None, typer.Option(help="Folder to write under (default: KINERJA_SCORECARDS_DIR).")
    ] = None,
) -> None:
    """Render a month's scorecards (every institution, province reports, national summary) from its issue.

    Re-rendering an issue gives byte-identical files: everything a scorecard shows was frozen
    with the issue.
    """
    from kinerja.scorecards.issue import NoScoresError
    from kinerja.tasks.scorecards import render_scorecards

    with _what_to_do_on_failure():
        try:
            paths = render_scorecards(
                _month(month),
                institution=institution,
                province=province,
                lang=lang,
                issue_no=issue,
                out_dir=out,
                workers=config.scorecard_workers(),
            )
        except (NoScoresError, ValueError) as error:
            console.print(Text("✗ ", style="red") + Text(str(error)), soft_wrap=True)
            raise typer.Exit(1) from None
    folder = Path(paths[0]).parent if paths else out
    console.print(f"[green]✓[/] {len(paths)} files written under [bold]{folder}[/]", highlight=False)


@scorecards_app.command("send")
def scorecards_send(
    month: str = typer.Option(..., help="The issued month, YYYY-MM."),
    institution: str = typer.Option(None, help="Only this institution (registry id)."),
    force: bool = typer.Option(
        False, help="Send again even if sent, or after an interrupted send (decide first: check the mailbox)."
    ),
    lang: str = typer.Option(
        None,
        help="Language of the mail and its scorecard: id or en; default: the first of KINERJA_SCORECARD_LANGUAGES.",
    ),
) -> None:
    """Mail the month's latest issue: PDF attached, HTML as body; SMTP or the outbox (KINERJA_SMTP_*).

    Every message is recorded in the delivery ledger: a sent one is never sent again unless
    --force; a failed one is retried with backoff; an interrupted one is reported.
    """
    from kinerja.scorecards.delivery import deliver_month
    from kinerja.scorecards.issue import NoScoresError
    from kinerja.warehouse import connect, ensure_warehouse

    with _what_to_do_on_failure(), connect(ensure_warehouse()) as conn:
        try:
            report = deliver_month(conn, _month(month), institution=institution, force=force, lang=lang)
        except (NoScoresError, ValueError) as error:
            console.print(Text("✗ ", style="red") + Text(str(error)), soft_wrap=True)
            raise typer.Exit(1) from None
    console.print(report.summary(), highlight=False)
    for institution_id, error in report.failed.items():
        console.print(Text(f"✗ {institution_id}: ", style="red") + Text(error), soft_wrap=True)
    for institution_id in report.interrupted:
        console.print(
            f"[yellow]?[/] {institution_id}: a send was interrupted; check the mailbox, then "
            f"`kinerja scorecards send --month {month} --institution {institution_id} --force` if it did not arrive",
            highlight=False,
        )
    if report.failed or report.interrupted:
        raise typer.Exit(1)


@scorecards_app.command("status")
def scorecards_status(month: str = typer.Option(..., help="The month, YYYY-MM.")) -> None:
    """The delivery ledger of a month: per issue and institution, state, attempts, recipients, last error."""
    from kinerja.scorecards.delivery import delivery_status
    from kinerja.warehouse import connect, ensure_warehouse

    with _what_to_do_on_failure(), connect(ensure_warehouse()) as conn:
        rows = delivery_status(conn, _month(month))
    table = Table("issue", "institution", "state", "attempts", "to", "cc", "last error", "when (WIB)")
    for issue_no, institution_id, state, attempts, to, cc, error, when in rows:
        table.add_row(
            str(issue_no),
            institution_id,
            state,
            str(attempts),
            to,
            cc,
            error or "",
            f"{when.astimezone(_WIB):%Y-%m-%d %H:%M}",
        )
    console.print(table)


airflow_app = typer.Typer(
    help="The local Airflow: UI, scheduler, dag-processor and triggerer as background processes.",
    no_args_is_help=True,
)
app.add_typer(airflow_app, name="airflow")


@airflow_app.command("start")
def airflow_start(
    unpause: bool = typer.Option(
        False, help="Unpause the project's DAGs: the scheduler then runs them on their schedules."
    ),
) -> None:
    """Start Airflow (LocalExecutor) over the warehouse and metadata database of `make run`, and print the login."""
    from kinerja.orchestration import services

    log_path = config.airflow_services_dir() / "start.log"
    # Airflow's migration and dbt's parse log to the file; the terminal shows the steps
    with _output_to(log_path) as terminal:
        try:
            stack = services.start_local(unpause=unpause, progress=lambda line: terminal.print(f"  {line}"))
        except (services.ServiceError, config.SettingError, psycopg.OperationalError) as error:
            terminal.print(Text("✗ ", style="red") + Text(str(error).strip()), soft_wrap=True)
            terminal.print(
                f"See {log_path}. Stop what started with `kinerja airflow stop` (make airflow-stop)."
            )
            raise typer.Exit(1) from None
    password_file = services.simple_auth_passwords_file(config.airflow_home())
    console.print(f"[green]✓[/] Airflow is up: [bold]{stack.api_url}[/]")
    console.print(
        f"  login: {stack.username} / {stack.password}  (generated by Airflow, kept in {password_file})"
    )
    running = [dag_id for dag_id, paused in stack.paused.items() if not paused]
    waiting = [dag_id for dag_id, paused in stack.paused.items() if paused]
    if running:
        console.print(f"  unpaused (the scheduler runs them on their schedules): {', '.join(running)}")
    if waiting:
        console.print(
            f"  paused: {', '.join(waiting)}: unpause a DAG in the UI before you trigger it (a paused "
            "DAG's runs wait in the queue), or start with --unpause"
        )
    console.print(f"  logs: {config.airflow_services_dir()}; stop with `make airflow-stop`")


@airflow_app.command("stop")
def airflow_stop() -> None:
    """Stop every Airflow process `kinerja airflow start` started (the warehouse keeps running: `make stop`)."""
    from kinerja.orchestration import services

    stopped = services.stop_local()
    console.print(
        f"stopped: {', '.join(stopped)}" if stopped else "no Airflow process of this project was running"
    )


@airflow_app.command("status")
def airflow_status() -> None:
    """Show which Airflow processes run, and what the API's health check says of them."""
    import httpx

    from kinerja.orchestration import services

    directory = config.airflow_services_dir()
    table = Table("process", "pid", "log")
    rows = services.status(directory, list(services.LOCAL_SERVICES))
    for row in rows:
        table.add_row(row.name, str(row.pid) if row.running else "[red]not running[/]", str(row.log))
    console.print(table)
    try:
        health = httpx.get(f"{config.airflow_api_url()}/api/v2/monitor/health", timeout=5).json()
    except (httpx.HTTPError, ValueError):
        console.print(f"{config.airflow_api_url()} does not answer")
        raise typer.Exit(1) from None
    for component, report in health.items():
        console.print(f"{component}: {report.get('status')}")
    if not all(row.running for row in rows):
        raise typer.Exit(1)


@app.command("backup")
def backup_command(
    keep: Annotated[
        int | None, typer.Option(help="Complete backups to keep (default KINERJA_BACKUP_KEEP, 14).")
    ] = None,
) -> None:
    """Back up the issued scores (publication.*) and what was received (file drop archive, API payloads) to KINERJA_BACKUP_DIR."""
    from kinerja import backup
    from kinerja.warehouse import connect, ensure_warehouse

    with connect(ensure_warehouse()) as conn:
        made = backup.make_backup(conn, keep=keep)
    for table, entry in made.manifest["tables"].items():
        console.print(f"  {table}: {entry['rows']} rows")
    console.print(f"backup: {made.path} (manifest.json lists every file's sha256)")


@app.command("restore")
def restore_command(
    folder: Annotated[Path, typer.Argument(help="A backup folder under KINERJA_BACKUP_DIR.")],
) -> None:
    """Restore a backup into a fresh warehouse (KINERJA_WAREHOUSE_URL): checksums checked first, then the fingerprints."""
    from kinerja import backup
    from kinerja.warehouse import connect, ensure_warehouse

    try:
        with connect(ensure_warehouse()) as conn:
            restored = backup.restore(conn, folder)
    except backup.BackupError as error:
        console.print(f"[red]{error}[/]")
        raise typer.Exit(1) from None
    console.print(f"restored from {folder}: {restored}")
    console.print(
        "next: `kinerja history` for the days to rebuild the warehouse (docs/runbook.md, 'Restore')"
    )


if __name__ == "__main__":
    app()
