-- Operations: what the pipeline did and when, for the data team (not warehouse content: a
-- re-run adds rows here by design, so `kinerja warehouse fingerprint` leaves this schema out).
create schema if not exists ops;

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
