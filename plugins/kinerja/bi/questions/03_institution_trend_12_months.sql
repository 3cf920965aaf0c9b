-- name: Tren 12 bulan satu instansi (one institution's 12-month trend)
-- description: An institution's IKMS, rank, grade and coverage over the 12 months up to the chosen month; a month without a score shows why.
-- param institution_id text prov-51: Instansi (id)
-- param month date 2026-09-01: Bulan terakhir (hari pertama)
select
    scores.month,
    scores.institution_id,
    scores.institution_name,
    scores.ikms,
    scores.grade,
    scores.rank_in_peer_group,
    scores.peer_group_size,
    scores.rank_in_province,
    scores.coverage,
    scores.not_ranked_reason
from reports.rpt_institution_scores_monthly as scores
where scores.institution_id = {{institution_id}}
    and scores.month > cast(cast({{month}} as date) - interval '12 months' as date)
    and scores.month <= cast({{month}} as date)
order by scores.month
