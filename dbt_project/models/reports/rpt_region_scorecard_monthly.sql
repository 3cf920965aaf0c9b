{#- (month, province_code) is the contract's primary key (rpt_region_scorecard_monthly.yml):
    no unique index here. -#}
{{
    config(
        indexes=[
            {'columns': ['province_code']},
        ],
    )
}}

-- One row per province and month: the province government's own IKMS and rank among the
-- provinces, and how its kabupaten and kota did. Reads only the scores' stable columns.
with

scores as (
    select
        month,
        institution_id,
        institution_name,
        peer_group,
        province_code,
        province_name,
        ikms,
        rank_in_peer_group,
        peer_group_size,
        is_eligible
    from {{ ref('rpt_institution_scores_monthly') }}
    where province_code is not null
),

provinces as (
    select distinct on (month, province_code)
        month,
        province_code,
        province_name,
        institution_id as province_institution_id,
        institution_name as province_institution_name,
        ikms as province_ikms,
        rank_in_peer_group as province_rank,
        peer_group_size as provinces_ranked,
        is_eligible as province_is_eligible
    from scores
    where peer_group = 'provinsi'
    -- a province has one government; should a split leave two, the ranked one speaks for it
    order by month asc, province_code asc, ikms desc nulls last, institution_id asc
),

regencies_and_cities as (
    select * from scores
    where peer_group in ('kabupaten', 'kota')
),

-- the best and worst eligible kabupaten/kota; equal IKMS are ordered by institution id
ordered as (
    select
        *,
        row_number()
            over (partition by month, province_code order by ikms desc, institution_id asc)
            as from_best,
        row_number()
            over (partition by month, province_code order by ikms asc, institution_id asc)
            as from_worst
    from regencies_and_cities
    where is_eligible
),

summaries as (
    select
        month,
        province_code,
        max(province_name) as province_name,
        count(*) as regencies_and_cities,
        count(*) filter (where is_eligible) as regencies_and_cities_eligible,
        percentile_cont(0.5) within group (order by ikms) filter (where is_eligible) as median_ikms
    from regencies_and_cities
    group by month, province_code
),

final as (
    select
        coalesce(provinces.month, summaries.month) as month,
        coalesce(provinces.province_code, summaries.province_code) as province_code,
        coalesce(provinces.province_name, summaries.province_name) as province_name,
        provinces.province_institution_id,
        provinces.province_institution_name,
        provinces.province_ikms::numeric as province_ikms,
        provinces.province_rank::int as province_rank,
        provinces.provinces_ranked::int as provinces_ranked,
        coalesce(provinces.province_is_eligible, false) as province_is_eligible,
        coalesce(summaries.regencies_and_cities, 0)::int as regencies_and_cities,
        coalesce(summaries.regencies_and_cities_eligible, 0)::int as regencies_and_cities_eligible,
        round(summaries.median_ikms::numeric, 2) as median_ikms,
        best.institution_id as best_institution_id,
        best.institution_name as best_institution_name,
        best.ikms::numeric as best_ikms,
        worst.institution_id as worst_institution_id,
        worst.institution_name as worst_institution_name,
        worst.ikms::numeric as worst_ikms
    from provinces
    full outer join summaries
        on provinces.month = summaries.month
        and provinces.province_code = summaries.province_code
    left join ordered as best
        on best.month = coalesce(provinces.month, summaries.month)
        and best.province_code = coalesce(provinces.province_code, summaries.province_code)
        and best.from_best = 1
    left join ordered as worst
        on worst.month = coalesce(provinces.month, summaries.month)
        and worst.province_code = coalesce(provinces.province_code, summaries.province_code)
        and worst.from_worst = 1
)

select * from final
