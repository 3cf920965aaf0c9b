-- The agency file drop (kinerja.sources.filedrop): which files came in and what became of them.
-- Idempotent: applied after ddl.sql before each run.

create schema if not exists raw;

-- One row per distinct file (by content) an institution dropped. Re-dropping landed bytes
-- adds nothing but a count (drop_count, last_dropped_at); rejected bytes are tried again,
-- since what rejected them (an unregistered account, a file name) may have been fixed.
create table if not exists raw.filedrop_files (
    institution_id     text not null,          -- the inbox folder the file was dropped in
    sha256             text not null,          -- of the bytes as received ('unread:<hash of its place>' if refused unread)
    original_name      text not null,
    archive_path       text not null,          -- <archive>/<institution_id>/<sha256>.<extension>; '' if unread
    export_format      text,                   -- youtube_totals, x_content, meta_posts, ... (null: unreadable)
    platform           text,
    account_ids        text[],                 -- the registry accounts its rows belong to
    status             text not null,          -- landed, partly_held, rejected, failed (constraint below)
    message            text,                   -- what happened, in words the sender can act on
    rows_landed        integer not null default 0,
    rows_quarantined   integer not null default 0,
    batch_ids          text[],                 -- raw.batch_ledger rows it landed as
    drop_count         integer not null default 1,
    first_dropped_at   timestamptz not null default now(),
    last_dropped_at    timestamptz not null default now(),
    primary key (institution_id, sha256)
);

-- What became of a file: landed (every row), partly_held (some rows held in
-- raw.filedrop_quarantine), rejected (nothing landed: the message says why), failed (a fault
-- of ours; the file waits in _rejected/ for the data team). A re-drop of landed bytes only counts.
do $$
begin
    if not exists (
        select 1 from pg_constraint
        where conname = 'filedrop_files_status_check' and pg_get_constraintdef(oid) like '%partly_held%'
    ) then
        alter table raw.filedrop_files drop constraint if exists filedrop_files_status_check;
        alter table raw.filedrop_files add constraint filedrop_files_status_check
            check (status in ('landed', 'partly_held', 'rejected', 'failed'));
    end if;
end $$;

-- One row per row of a dropped file that did not land, and why. Rows of a file are not a
-- batch yet (a file may be rejected before it becomes one), so raw.quarantine does not fit.
create table if not exists raw.filedrop_quarantine (
    institution_id   text not null,
    sha256           text not null,
    file_name        text not null,
    line_number      integer not null,         -- line in the file as dropped (the header is line 1)
    column_name      text not null,            -- the header as written in the file
    check_name       text not null,            -- parse, plausibility
    reason           text not null,
    platform         text,
    account_id       text,
    quarantined_at   timestamptz not null default now(),
    primary key (institution_id, sha256, line_number, column_name, check_name)
);

-- Where the sender's note was e-mailed (kinerja.landing.filedrop.mail_note), when mail is
-- configured and the institution has an address; why not, when the send failed.
alter table raw.filedrop_files add column if not exists note_mailed_to text;
alter table raw.filedrop_files add column if not exists note_mailed_at timestamptz;
alter table raw.filedrop_files add column if not exists note_mail_error text;
