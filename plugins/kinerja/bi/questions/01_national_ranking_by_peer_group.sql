-- name: Peringkat nasional per kelompok (national ranking by peer group)
-- description: Every ranked institution of the month, by peer group (kementerian, lembaga, provinsi, kabupaten, kota) and rank; institutions not ranked are in "Data tidak cukup".
-- param month date 2026-09-01: Bulan (hari pertama)
select
    scores.peer_group,
    scores.rank_in_peer_group,
    scores.peer_group_size,
    scores.institution_id,
    scores.institution_name,
    scores.province_name,
    scores.ikms,
    scores.grade,
    scores.rank_movement,
    scores.coverage
from reports.rpt_institution_scores_monthly as scores
where scores.month = cast({{month}} as date)
    and scores.is_eligible
order by scores.peer_group, scores.rank_in_peer_group, scores.institution_id
