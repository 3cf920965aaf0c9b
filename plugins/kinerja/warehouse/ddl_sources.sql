-- What the daily run's sources reported besides their rows (kinerja.pipeline.land_api):
-- the problems that kept an account or a platform from landing, and every platform answer
-- as received. Idempotent: applied after ddl.sql before each run.

create schema if not exists raw;

-- One row per problem of a data day's harvest: an account whose token expired, a platform
-- whose quota ran out (account_id null). A re-run of the day replaces the day's problems of
-- the platforms it harvested: a problem that is gone (a token was renewed) disappears,
-- one that persists keeps the time it was first recorded.
create table if not exists raw.source_problems (
    data_day      date not null,              -- the data day of the run that met the problem
    source        text not null,              -- api (the connectors), ...
    platform      text not null,
    account_id    text,                       -- null: the whole platform (quota exhausted)
    kind          text not null,              -- token_missing, token_expired, quota_exhausted, rate_limited, not_found, ...
    message       text not null,              -- a sentence naming the account and what to do next
    retry_after   timestamptz,                -- when the platform said to ask again, if it did
    recorded_at   timestamptz not null default now()
);
create unique index if not exists source_problems_key
    on raw.source_problems (data_day, source, platform, coalesce(account_id, ''), kind);

-- Every answer of a platform, as received (tokens removed, comment authors and texts already
-- reduced to counts by the connector): the audit archive of the API source. The same answer
-- to the same request in a re-run of the same day is kept once.
create table if not exists raw.source_payloads (
    data_day      date not null,
    source        text not null,
    platform      text not null,
    request       text not null,              -- method, path and query, credentials removed
    body_sha256   text not null,              -- of the body's canonical JSON text
    received_at   timestamptz not null,
    body          jsonb not null,
    archived_at   timestamptz not null default now(),
    primary key (data_day, source, platform, request, body_sha256)
);
