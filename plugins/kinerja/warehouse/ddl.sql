-- The schemas Python writes to: registry (who is scored), raw (landed as received),
-- audit (what the checks said). dbt owns staging, marts and reports.
-- Every statement is idempotent: applied before each run.

create schema if not exists registry;
create schema if not exists raw;
create schema if not exists audit;

-- One row per institution (ministry, agency, province, regency, city).
create table if not exists registry.institutions (
    institution_id        text primary key,
    name                  text not null,
    peer_group            text not null
        check (peer_group in ('kementerian', 'lembaga', 'provinsi', 'kabupaten', 'kota')),
    region_code           text,            -- Kemendagri 2025 compact code (31, 3171); null for central
    province_code         text,            -- two-digit province code; null for central
    parent_institution_id text,            -- a kabupaten's or kota's province
    population            bigint,          -- residents, for per-capita audience of regional governments
    area_km2              numeric,
    timezone              text not null,   -- Asia/Jakarta (WIB), Asia/Makassar (WITA), Asia/Jayapura (WIT)
    scorecard_email       text,            -- the office that receives the scorecard
    source                text not null    -- provenance of the row
);

-- One row per official account.
create table if not exists registry.accounts (
    account_id          text primary key,
    institution_id      text not null,
    platform            text not null
        check (platform in ('instagram', 'facebook', 'x', 'youtube', 'tiktok')),
    handle              text not null,
    platform_account_id text,
    active_from         date not null,
    active_to           date,
    is_demo             boolean not null default false
);

-- One row per landed account-day, exactly as the source gave it (no checks here:
-- the audit decides, and nothing a source sends is refused at the door).
create table if not exists raw.account_daily (
    batch_id     text not null,
    row_number   integer not null,        -- position in the batch, 1-based: errors name it
    source       text not null,
    platform     text not null,
    account_id   text not null,
    metric_date  date not null,
    followers    bigint,
    posts        bigint,
    views        bigint,
    reach        bigint,
    likes        bigint,
    comments     bigint,
    shares       bigint,
    saves        bigint,
    replies      bigint,                   -- public comments the account answered
    replies_24h  bigint,                   -- of which within 24 hours
    primary key (batch_id, row_number)
);
-- Added after the first release: the reason behind each null ({"reach": "not_reported"}).
alter table raw.account_daily add column if not exists angry bigint;
alter table raw.account_daily add column if not exists no_value jsonb;
create index if not exists account_daily_partition_idx
    on raw.account_daily (source, metric_date, platform, account_id);

-- One row per post and as-of day: lifetime totals as the source reported them that day.
-- A batch replaces all posts of an (account, as-of day) it carries: a deleted post disappears.
create table if not exists raw.post_daily (
    batch_id                text not null,
    row_number              integer not null,
    source                  text not null,
    platform                text not null,
    account_id              text not null,
    post_id                 text not null,
    as_of_date              date not null,
    published_at            timestamptz,
    post_type               text,
    views                   bigint,
    reach                   bigint,
    likes                   bigint,
    comments                bigint,
    shares                  bigint,
    saves                   bigint,
    angry                   bigint,
    replies                 bigint,
    replies_24h             bigint,
    reply_latency_median_s  numeric,       -- seconds from a public comment to the first reply
    no_value                jsonb,
    primary key (batch_id, row_number)
);
create index if not exists post_daily_partition_idx
    on raw.post_daily (source, as_of_date, platform, account_id);

-- One row per batch: what came in and what the audit made of it.
create table if not exists raw.batch_ledger (
    batch_id         text primary key,
    source           text not null,
    data_day         date not null,
    rows_in          integer not null,
    rows_accepted    integer,
    rows_rejected    integer,
    checksum         text not null,        -- sha256 of the batch's canonical rows
    status           text not null
        check (status in ('landed', 'accepted', 'rejected', 'superseded')),
    summary          text,
    first_landed_at  timestamptz not null default now(),
    landed_at        timestamptz not null default now(),
    audited_at       timestamptz,
    land_count       integer not null default 1
);
-- Added after the first release: which raw table the batch landed in.
alter table raw.batch_ledger add column if not exists raw_table text not null default 'raw.account_daily';

-- One row per rejected raw row and failed check: nothing is lost, everything says why.
create table if not exists raw.quarantine (
    batch_id        text not null,
    row_number      integer not null,
    check_name      text not null,
    account_id      text,
    platform        text,
    metric_date     date,
    column_name     text,
    reason          text not null,
    quarantined_at  timestamptz not null default now(),
    primary key (batch_id, row_number, check_name)
);

-- One row per expectation evaluated on a batch.
create table if not exists audit.validation_results (
    batch_id        text not null,
    suite           text not null,
    expectation     text not null,
    column_name     text not null default '',
    success         boolean not null,
    unexpected      integer not null default 0,
    observed        text,
    validated_at    timestamptz not null default now(),
    primary key (batch_id, suite, expectation, column_name)
);
