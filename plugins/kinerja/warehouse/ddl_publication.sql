-- What regional offices hold: each month's scores are issued with a data cut-off and then
-- frozen. Data restated after the cut-off that changes a score makes a numbered reissue
-- with what changed; an issued row is never updated (kinerja.publication).
create schema if not exists publication;

create table if not exists publication.score_issues (
    month               date not null,
    issue_no            integer not null check (issue_no >= 1),
    methodology_version text not null,
    -- the latest landing of the month's data that the issue includes
    data_cut_off        timestamptz,
    issued_at           timestamptz not null default now(),
    institutions        integer not null,
    content_sha256      text not null,
    reason              text not null,
    -- one entry per institution and field that differ from the previous issue
    changes             jsonb not null default '[]'::jsonb,
    primary key (month, issue_no)
);
comment on table publication.score_issues is
    'One row per issue of a month''s IKMS scores: issue 1 at the monthly run, a numbered reissue when data restated after the cut-off changed a score.';

create table if not exists publication.issued_scores (
    month           date not null,
    issue_no        integer not null,
    institution_id  text not null,
    -- the row of reports.rpt_institution_scores_monthly as issued
    score           jsonb not null,
    primary key (month, issue_no, institution_id),
    foreign key (month, issue_no) references publication.score_issues (month, issue_no)
);
comment on table publication.issued_scores is
    'One row per issue and institution: the score row exactly as issued (frozen; never updated).';

create or replace view publication.latest_issues as
select distinct on (month) *
from publication.score_issues
order by month, issue_no desc;
comment on view publication.latest_issues is 'One row per month: its latest issue.';

create table if not exists publication.issued_scorecards (
    month           date not null,
    issue_no        integer not null,
    institution_id  text not null,
    -- what the scorecard shows beyond the score row, as of the issue: the institution's time
    -- zone, registered accounts, per-platform table, best posts, crisis signals, 12-month trend
    details         jsonb not null,
    primary key (month, issue_no, institution_id),
    foreign key (month, issue_no, institution_id)
        references publication.issued_scores (month, issue_no, institution_id)
);
comment on table publication.issued_scorecards is
    'One row per issue and institution: what its scorecard shows besides the score, frozen with the issue (kinerja.publish.issues), so that re-rendering an issue gives the same document.';

-- The delivery ledger of the scorecards (kinerja.scorecards.delivery): one message per issue
-- and institution, as a state machine. pending -> sending -> sent; sending -> failed ->
-- (after a backoff) sending again. A 'sending' row that outlived its process is a send
-- interrupted by a crash: it is reported for a person to decide, never resent blindly.
create table if not exists publication.scorecard_deliveries (
    month           date not null,
    issue_no        integer not null,
    institution_id  text not null,
    recipients      text not null,           -- To, as sent (registry scorecard_email)
    cc              text not null default '',-- the province's Diskominfo for a kabupaten/kota
    file_sha256     text not null,           -- the PDF attached
    message_id      text not null unique,    -- stable per issue and institution
    state           text not null check (state in ('pending', 'sending', 'sent', 'failed')),
    attempts        integer not null default 0,
    last_error      text,
    next_attempt_at timestamptz,
    via             text,                    -- smtp://host:port or the outbox file
    -- the warehouse session that claimed the send ('pid:backend start'): while it is alive
    -- a 'sending' row is another run at work, once it is gone the send was interrupted
    claimed_by      text,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    sent_at         timestamptz,
    primary key (month, issue_no, institution_id),
    foreign key (month, issue_no, institution_id)
        references publication.issued_scores (month, issue_no, institution_id)
);
comment on table publication.scorecard_deliveries is
    'One row per issue and institution: the scorecard message, its recipients, the PDF checksum, a stable Message-ID and its delivery state (pending, sending, sent, failed) with attempts.';
