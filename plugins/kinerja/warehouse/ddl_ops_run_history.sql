-- ops: the history of every DAG run and task try, recorded by the Airflow listener plugin
-- plugins/kinerja_run_history.py (kinerja.warehouse.run_history), so that the data team's
-- dashboard is SQL on the warehouse: runs, durations, failures. Landed and quarantined rows
-- per source and day are in raw.batch_ledger and raw.quarantine, joined on the data day.
create schema if not exists ops;

-- One row per DAG run, updated as the run starts and ends.
create table if not exists ops.dag_runs (
    dag_id               text not null,
    run_id               text not null,
    run_type             text,
    logical_date         timestamptz,
    data_interval_start  timestamptz,
    data_interval_end    timestamptz,
    data_day             date,          -- the run's data day (WIB): kinerja.orchestration.dag_defaults.data_day_of
    state                text not null,
    started_at           timestamptz,
    ended_at             timestamptz,
    duration_seconds     numeric generated always as (extract(epoch from ended_at - started_at)) stored,
    message              text,          -- what Airflow said of the run's end (the failed task, a timeout)
    recorded_at          timestamptz not null default now(),
    primary key (dag_id, run_id)
);

-- One row per try of a task instance, updated as the try starts and ends.
create table if not exists ops.task_runs (
    dag_id            text not null,
    run_id            text not null,
    task_id           text not null,
    map_index         integer not null default -1,
    try_number        integer not null,
    state             text not null,
    started_at        timestamptz,
    ended_at          timestamptz,
    duration_seconds  numeric generated always as (extract(epoch from ended_at - started_at)) stored,
    hostname          text,
    error             text,             -- the exception's type and message of a failed try
    recorded_at       timestamptz not null default now(),
    primary key (dag_id, run_id, task_id, map_index, try_number)
);
create index if not exists task_runs_failed on ops.task_runs (dag_id, started_at) where state = 'failed';
