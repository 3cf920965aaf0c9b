-- name: Data tidak cukup (institutions with insufficient data)
-- description: The institutions not ranked in the month and why (no_data, coverage_below_minimum, no_score), with their coverage; null coverage means no account reported at all.
-- param month date 2026-09-01: Bulan (hari pertama)
select
    scores.institution_id,
    scores.institution_name,
    scores.peer_group,
    scores.province_name,
    scores.not_ranked_reason,
    scores.accounts,
    scores.coverage
from reports.rpt_institution_scores_monthly as scores
where scores.month = cast({{month}} as date)
    and not scores.is_eligible
order by scores.not_ranked_reason, scores.institution_id
