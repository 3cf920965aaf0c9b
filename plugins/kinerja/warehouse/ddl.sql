-- The schemas Python writes to: registry (who is scored), raw (landed as received),
-- audit (what the checks said). dbt owns staging, marts and reports.
-- Every statement is idempotent: applied before each run.

create schema if not exists registry;
create schema if not exists raw;
create schema if not exists audit;

-- The registry tables before history (one row per institution or account, no
-- valid_from): dropped so that they are created anew below. Nothing is lost: the
-- registry is reloaded from its files on every run, and dbt rebuilds its views.
do $$
begin
    if exists (select 1 from information_schema.tables
               where table_schema = 'registry' and table_name = 'institutions')
       and not exists (select 1 from information_schema.columns
                       where table_schema = 'registry' and table_name = 'institutions'
                         and column_name = 'valid_from') then
        drop table registry.institutions cascade;
        drop table if exists registry.accounts cascade;
    end if;
end
$$;

-- One row per institution (ministry, agency, province, regency, city) and period in
-- which these facts held: a rename adds a row, a split ends one institution and
-- starts others that name it as predecessor.
create table if not exists registry.institutions (
    institution_id        text not null,
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
    source                text not null,   -- provenance of the row
    valid_from            date not null,   -- first day these facts held (2000-01-01: since before records)
    valid_to              date,            -- last day they held; null while they still do
    predecessor_ids       text[],          -- the institutions this one replaced (a split, a merger)
    recorded_at           timestamptz not null default now(),  -- when this row was first loaded as it is
    recorded_by           text not null default current_user,  -- who loaded it (the registry change's author)
    primary key (institution_id, valid_from)
);

-- One row per official account, institution and period: an account shared by two
-- institutions has a row for each, a renamed handle ends one row and starts another.
create table if not exists registry.accounts (
    account_id          text not null,
    institution_id      text not null,
    platform            text not null
        check (platform in ('instagram', 'facebook', 'x', 'youtube', 'tiktok')),
    handle              text not null,
    platform_account_id text,
    verified_on         date,              -- when the data team verified it as official
    valid_from          date not null,
    valid_to            date,              -- last day; null while still true
    is_demo             boolean not null default false,
    recorded_at         timestamptz not null default now(),
    recorded_by         text not null default current_user,
    primary key (account_id, institution_id, valid_from)
);

-- One row per comparison group, member institution and period (comparison_groups.csv): the
-- named groups an index method may rank within besides the peer groups.
create table if not exists registry.comparison_groups (
    group_id            text not null,
    group_name          text not null,
    institution_id      text not null,
    valid_from          date not null,     -- 2000-01-01 when the file leaves it empty
    valid_to            date,              -- last day; null while still a member
    primary key (group_id, institution_id, valid_from)
);

-- One row per registry load: who loaded which files, when, and what changed.
create table if not exists registry.loads (
    load_id             bigint generated always as identity primary key,
    loaded_at           timestamptz not null default now(),
    loaded_by           text not null,
    files_sha256        jsonb not null,    -- file name -> sha256 of its bytes
    git_commit          text,              -- the commit of the registry directory, when it is a git checkout
    rows_added          integer not null,
    rows_removed        integer not null
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
-- One index serves both the landing (which rows of an account and day to replace) and
-- the audit (an account's history): each index costs every COPY (bench/RESULTS.md).
create index if not exists account_daily_account_day_idx
    on raw.account_daily (platform, account_id, metric_date);
drop index if exists raw.account_daily_partition_idx;
-- The daily build reads the rows of the days it rebuilds. A BRIN index (block ranges of
-- metric_date: rows arrive roughly in day order) finds them without reading the whole
-- history, and costs the COPY almost nothing, unlike a second b-tree.
create index if not exists account_daily_metric_date_brin
    on raw.account_daily using brin (metric_date);

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
-- The daily build of fct_posts reads the snapshots of the days it rebuilds: a BRIN index,
-- as on raw.account_daily (rows arrive roughly in as-of day order).
create index if not exists post_daily_as_of_date_brin
    on raw.post_daily using brin (as_of_date);

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
-- Added with the plan of a run's days (kinerja.landing.plan): when a publish last recorded the
-- batch's days as published. What a warehouse already held was published by the runs before.
do $$
begin
    if not exists (
        select 1 from information_schema.columns
        where table_schema = 'raw' and table_name = 'batch_ledger' and column_name = 'published_at'
    ) then
        alter table raw.batch_ledger add column published_at timestamptz;
        update raw.batch_ledger set published_at = greatest(audited_at, landed_at) where audited_at is not null;
    end if;
end $$;

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
