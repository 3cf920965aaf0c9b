-- name: Kelengkapan data per instansi (data completeness per institution)
-- description: For the month, each institution's registered accounts, accounts that reported, days reported and coverage; least complete first, no data (null coverage) at the top.
-- param month date 2026-09-01: Bulan (hari pertama)
select
    monthly.institution_id,
    monthly.institution_name,
    monthly.peer_group,
    monthly.province_name,
    monthly.accounts_registered,
    monthly.accounts,
    monthly.days_reported,
    monthly.account_days_reported,
    monthly.coverage
from marts.fct_institution_monthly as monthly
where monthly.month = cast({{month}} as date)
order by monthly.coverage nulls first, monthly.institution_id
