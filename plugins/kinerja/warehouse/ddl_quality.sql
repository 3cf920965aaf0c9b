-- The raw audit (kinerja.quality): what the Great Expectations suites said about each
-- batch, and how complete each source's days are against the registry.
-- Idempotent: applied after ddl.sql before each run.

create schema if not exists audit;

-- Added with the extended raw audit: which GX run a result belongs to, how many rows the
-- expectation checked, and whether a failure rejects single rows or the whole batch.
alter table audit.validation_results add column if not exists run_id text;
alter table audit.validation_results add column if not exists rows_checked integer;
alter table audit.validation_results add column if not exists level text not null default 'row';

-- One row per source, metric day, institution and platform the source covers: how many of
-- the institution's accounts active in the registry that day the source delivered rows for
-- that passed the audit. Not a row rejection: a measure, re-judged by each audit of the
-- source until the platform's restatement window has passed (status 'provisional' until
-- then; Meta restates for up to 48 hours). No personal data: ids, names of institutions, counts.
create table if not exists audit.completeness (
    source                text not null,
    metric_date           date not null,
    institution_id        text not null,
    platform              text not null,
    institution_name      text,             -- the registry name valid on metric_date
    accounts_active       integer not null, -- registry accounts of the institution on the platform that day
    accounts_reported     integer not null, -- of which the source delivered an accepted row
    share_reported        numeric not null, -- accounts_reported / accounts_active
    status                text not null
        check (status in ('provisional', 'complete', 'incomplete')),
    institution_has_data  boolean not null, -- false: not one account of the institution reported that day
    restatement_days      integer not null, -- the platform's restatement window
    judged_as_of          date not null,    -- the day the judgement holds for: the auditing batch's data_day + 1, or the day its last judgement held for when later
    batch_id              text not null,    -- the audit that last changed the judgement
    judged_at             timestamptz not null default now(),
    primary key (source, metric_date, institution_id, platform)
);
create index if not exists completeness_status_idx on audit.completeness (source, status, metric_date);

-- The day-over-day check walks each account's history through ddl.sql's
-- account_daily_account_day_idx (platform, account_id, metric_date).
drop index if exists raw.account_daily_account_history_idx;
