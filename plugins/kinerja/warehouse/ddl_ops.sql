-- ops: what the pipeline did and when, for the data team's dashboard (SQL on the warehouse):
-- every DAG run and task try, recorded by the Airflow listener plugin
-- plugins/kinerja_run_history.py (kinerja.warehouse.run_history), and every node of every dbt
-- build (kinerja.dbt_results). Landed and quarantined rows per source and day are in
-- raw.batch_ledger and raw.quarantine, joined on the data day. Not warehouse content: a re-run
-- adds rows here by design, so `kinerja warehouse fingerprint` leaves this schema out.
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

-- One row per node (model, seed, snapshot, test) of every dbt build a DAG ran.
create table if not exists ops.dbt_node_results (
    invocation_id text not null,
    unique_id text not null,
    dag_id text,
    run_id text,
    task_id text,
    resource_type text not null,
    status text not null,
    execution_seconds double precision not null,
    rows_affected bigint,
    failures bigint,
    message text,
    completed_at timestamptz not null,
    primary key (invocation_id, unique_id)
);
comment on table ops.dbt_node_results is
    'One row per dbt node (model, seed, snapshot, test) of every dbt build a DAG ran: its status, time and rows.';
create index if not exists dbt_node_results_completed_at on ops.dbt_node_results (completed_at);

-- One row per alert sent about a thing that stays true for days (a crisis signal of an
-- account's day, a token's state on a day): a re-run, or the next run's rebuild of the same
-- days, does not send it again.
create table if not exists ops.alerts_sent (
    kind text not null,
    alert_key text not null,
    sent_at timestamptz not null default now(),
    primary key (kind, alert_key)
);
comment on table ops.alerts_sent is
    'One row per alert sent about a lasting fact (kind, key: account and day, token and day), so that it is sent once.';

-- One row per `kinerja publish --force`: a build that failed its dbt tests or build audit,
-- published by hand anyway (kinerja.publish.gate), who did it, why, and what had failed.
create table if not exists ops.publish_overrides (
    overridden_at  timestamptz not null default now(),
    overridden_by  text not null default current_user,
    reason         text not null check (reason <> ''),
    overridden     text[] not null,
    primary key (overridden_at, overridden_by)
);
comment on table ops.publish_overrides is
    'One row per forced publish of a build that failed its dbt tests or build audit: who, when, why and what failed.';
