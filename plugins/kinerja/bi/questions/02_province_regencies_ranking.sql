-- name: Peringkat kabupaten/kota dalam provinsi (a province's regencies and cities ranked)
-- description: The kabupaten and kota of one province ranked among themselves for the month; those not ranked last, with the reason.
-- param month date 2026-09-01: Bulan (hari pertama)
-- param province_code text 51: Kode provinsi
select
    scores.rank_in_province,
    scores.province_size,
    scores.institution_id,
    scores.institution_name,
    scores.peer_group,
    scores.ikms,
    scores.grade,
    scores.rank_in_peer_group,
    scores.not_ranked_reason
from reports.rpt_institution_scores_monthly as scores
where scores.month = cast({{month}} as date)
    and scores.province_code = {{province_code}}
    and scores.peer_group in ('kabupaten', 'kota')
order by scores.rank_in_province nulls last, scores.institution_id
