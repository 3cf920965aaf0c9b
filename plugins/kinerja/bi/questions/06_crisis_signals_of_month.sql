-- name: Sinyal krisis bulan ini (crisis signals of the month)
-- description: Every account-day of the month with an alert or a critical judgement (two or three crisis signals at once: comment surge, anger surge, reply collapse), most severe first; a single signal (a watch, often a viral post) is left out.
-- param month date 2026-09-01: Bulan (hari pertama)
select
    signals.metric_date,
    signals.account_id,
    accounts.platform,
    accounts.handle,
    signals.severity,
    signals.signal_count,
    signals.signals_fired,
    signals.comments,
    signals.comments_threshold
from reports.rpt_crisis_signals_daily as signals
inner join marts.dim_official_accounts as accounts on signals.account_id = accounts.account_id
where signals.metric_date >= cast({{month}} as date)
    -- a date, not a timestamp: comparing a date column with a timestamp is not leakproof, so under
    -- row security it could not bound the index scan
    and signals.metric_date < cast(cast({{month}} as date) + interval '1 month' as date)
    and signals.severity in ('alert', 'critical')
order by signals.signal_count desc, signals.metric_date, signals.account_id
