{#- (month, institution_id) is the contract's primary key (rpt_institution_scores_monthly.yml):
    no unique index here. -#}
{{
    config(
        indexes=[
            {'columns': ['month', 'peer_group']},
            {'columns': ['month', 'province_code']},
            {'columns': ['institution_id']},
        ],
    )
}}

with

institutions as (
    select * from {{ ref('dim_institutions') }}
),

method as (
    select * from {{ ref('ikms_methods') }}
    where methodology_version = '{{ var("methodology_version") }}'
),

weights as (
    select * from {{ ref('ikms_weights') }}
    where methodology_version = '{{ var("methodology_version") }}'
),

grade_bands as (
    select * from {{ ref('ikms_grade_bands') }}
    where methodology_version = '{{ var("methodology_version") }}'
),

account_periods as (
    select * from {{ ref('int_ikms__account_periods') }}
    where methodology_version = '{{ var("methodology_version") }}'
),

components as (
    select * from {{ ref('int_ikms__institution_components') }}
    where methodology_version = '{{ var("methodology_version") }}'
),

scores as (
    select * from {{ ref('int_ikms__institution_scores') }}
    where methodology_version = '{{ var("methodology_version") }}'
),

-- changes after which a metric's values are not comparable with the values before
definition_breaks as (
    select * from {{ ref('dim_metric_definition_changes') }}
    where not comparable_across
),

months as (
    select distinct period_start as month from account_periods
),

-- every institution in every month, scored or not: no data is "Data tidak cukup", never last
institution_months as (
    -- the version of each institution valid at the end of the month (or when it ended)
    {{ institution_versions_by_month('institutions', 'months') }}
),

institution_activity as (
    select
        institution_id,
        period_start as month,
        count(*) as accounts,
        sum(followers_last) as followers,
        sum(posts) as posts,
        avg(coverage) as coverage,
        -- an account covers enough of the month to be scored (the method's min_coverage)
        bool_or(is_covered) as has_covered_account,
        array_agg(distinct platform) as platforms
    from account_periods
    group by institution_id, period_start
),

component_columns as (
    select
        institution_id,
        period_start as month,
        max(score) filter (where component = 'activity') as activity_score,
        max(score) filter (where component = 'reach') as reach_score,
        max(score) filter (where component = 'engagement') as engagement_score,
        max(score) filter (where component = 'responsiveness') as responsiveness_score
    from components
    group by institution_id, period_start
),

-- sensitivity: each component's weight 10 points up and 10 points down, one at a time
weight_variants as (
    select
        varied.component as varied_component,
        shift.points,
        weights.component,
        greatest(
            weights.weight + case when weights.component = varied.component then shift.points else 0 end, 0
        )
            as weight
    from weights as varied
    cross join (values (-10), (10)) as shift (points)
    cross join weights
),

variant_scores as (
    select
        components.period_start as month,
        components.institution_id,
        components.peer_group,
        weight_variants.varied_component,
        weight_variants.points,
        round(
            (
                {{ ikms_weighted_mean('components.score', 'weight_variants.weight', 'method.aggregation') }}
            )::numeric,
            2
        )
            as ikms
    from components
    inner join weight_variants on components.component = weight_variants.component
    cross join method
    group by
        components.period_start, components.institution_id, components.peer_group,
        weight_variants.varied_component, weight_variants.points, method.aggregation
),

variant_ranks as (
    select
        month,
        institution_id,
        rank() over (
            partition by month, peer_group, varied_component, points, (ikms is null) order by ikms desc
        ) as variant_rank
    from variant_scores
    where ikms is not null
),

rank_ranges as (
    select
        month,
        institution_id,
        min(variant_rank) as best_rank,
        max(variant_rank) as worst_rank
    from variant_ranks
    group by month, institution_id
),

scored as (
    select
        institution_months.month,
        institution_months.institution_id,
        institution_months.institution_name,
        institution_months.peer_group,
        institution_months.province_code,
        institution_months.province_name,
        round(scores.ikms::numeric, 2) as ikms,
        scores.comparison_group,
        scores.weight_available,
        component_columns.activity_score,
        component_columns.reach_score,
        component_columns.engagement_score,
        component_columns.responsiveness_score,
        institution_activity.platforms,
        coalesce(institution_activity.accounts, 0) as accounts,
        coalesce(institution_activity.followers, 0) as followers,
        coalesce(institution_activity.posts, 0) as posts,
        -- no account reported a day: no data, not a coverage of 0
        institution_activity.coverage,
        institution_activity.has_covered_account
    from institution_months
    left join scores
        on institution_months.institution_id = scores.institution_id
        and institution_months.month = scores.period_start
    left join component_columns
        on institution_months.institution_id = component_columns.institution_id
        and institution_months.month = component_columns.month
    left join institution_activity
        on institution_months.institution_id = institution_activity.institution_id
        and institution_months.month = institution_activity.month
),

ranked as (
    select
        *,
        -- ties (equal rounded IKMS) share a rank; the ineligible get none
        case
            when ikms is not null then
                rank() over (partition by month, peer_group, (ikms is null) order by ikms desc)
        end as rank_in_peer_group,
        count(ikms) over (partition by month, peer_group) as peer_group_size,
        case
            when ikms is not null then
                rank() over (partition by month, (ikms is null) order by ikms desc)
        end as rank_national,
        count(ikms) over (partition by month) as national_size,
        -- the grouping the method ranks within (the peer group, or a comparison group of the registry)
        case
            when ikms is not null then
                rank() over (partition by month, comparison_group, (ikms is null) order by ikms desc)
        end as rank_in_comparison_group,
        count(ikms) over (partition by month, comparison_group) as comparison_group_size,
        -- a province's kabupaten and kota among themselves (the province's own government apart)
        case
            when ikms is not null and peer_group in ('kabupaten', 'kota') then
                rank() over (
                    partition by month, province_code, peer_group in ('kabupaten', 'kota'), (ikms is null)
                    order by ikms desc
                )
        end as rank_in_province,
        count(ikms) filter (where peer_group in ('kabupaten', 'kota'))
            over (partition by month, province_code)
            as province_size
    from scored
),

graded as (
    select distinct on (ranked.month, ranked.institution_id)
        ranked.month,
        ranked.institution_id,
        grade_bands.grade,
        grade_bands.label as grade_label,
        grade_bands.label_en as grade_label_en
    from ranked
    inner join grade_bands on ranked.ikms >= grade_bands.min_ikms
    order by ranked.month asc, ranked.institution_id asc, grade_bands.min_ikms desc
),

-- a definition change between last month's start and this month's end, on a platform the
-- institution used, makes the rank movement "not comparable"
broken_comparisons as (
    select distinct
        ranked.month,
        ranked.institution_id
    from ranked
    inner join definition_breaks
        on definition_breaks.platform = any(ranked.platforms)
        and definition_breaks.change_date > ranked.month - interval '1 month'
        and definition_breaks.change_date < ranked.month + interval '1 month'
),

final as (
    select
        ranked.month,
        ranked.institution_id,
        ranked.institution_name,
        ranked.peer_group,
        ranked.province_code,
        ranked.province_name,
        ranked.ikms,
        ranked.rank_in_peer_group::int as rank_in_peer_group,
        ranked.peer_group_size::int as peer_group_size,
        ranked.rank_national::int as rank_national,
        ranked.national_size::int as national_size,
        ranked.ikms is not null as is_eligible,
        ranked.rank_in_province::int as rank_in_province,
        case
            when ranked.peer_group in ('kabupaten', 'kota') then ranked.province_size::int
        end as province_size,
        -- why "Data tidak cukup": the first condition of scoring that failed
        case
            when ranked.ikms is not null then null
            when ranked.coverage is null then 'no_data'
            when not ranked.has_covered_account then 'coverage_below_minimum'
            else 'no_score'
        end as not_ranked_reason,
        graded.grade,
        graded.grade_label,
        graded.grade_label_en,
        previous.rank_in_peer_group::int as previous_rank_in_peer_group,
        -- positive: up the ranking since last month
        (previous.rank_in_peer_group - ranked.rank_in_peer_group)::int as rank_movement,
        broken_comparisons.institution_id is null as is_movement_comparable,
        -- the ranks the institution would hold with any one weight 10 points up or down
        least(rank_ranges.best_rank, ranked.rank_in_peer_group)::int as rank_range_best,
        greatest(rank_ranges.worst_rank, ranked.rank_in_peer_group)::int as rank_range_worst,
        round(ranked.activity_score::numeric, 2) as activity_score,
        round(ranked.reach_score::numeric, 2) as reach_score,
        round(ranked.engagement_score::numeric, 2) as engagement_score,
        round(ranked.responsiveness_score::numeric, 2) as responsiveness_score,
        round(ranked.weight_available::numeric, 4) as weight_available,
        ranked.accounts::int as accounts,
        ranked.followers::bigint as followers,
        ranked.posts::bigint as posts,
        round(ranked.coverage::numeric, 4) as coverage,
        '{{ var("methodology_version") }}'::text as methodology_version,
        ranked.comparison_group,
        ranked.rank_in_comparison_group::int as rank_in_comparison_group,
        case when ranked.comparison_group is not null then ranked.comparison_group_size::int end
            as comparison_group_size
    from ranked
    left join ranked as previous
        on ranked.institution_id = previous.institution_id
        and ranked.peer_group = previous.peer_group
        and previous.month = ranked.month - interval '1 month'
    left join graded
        on ranked.month = graded.month
        and ranked.institution_id = graded.institution_id
    left join broken_comparisons
        on ranked.month = broken_comparisons.month
        and ranked.institution_id = broken_comparisons.institution_id
    left join rank_ranges
        on ranked.month = rank_ranges.month
        and ranked.institution_id = rank_ranges.institution_id
)

select * from final
