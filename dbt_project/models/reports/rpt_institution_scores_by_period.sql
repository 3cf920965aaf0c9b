{#- (methodology_version, period_start, institution_id) is the contract's primary key
    (rpt_institution_scores_by_period.yml): no unique index here. -#}
{{
    config(
        indexes=[
            {'columns': ['methodology_version', 'period_start', 'comparison_group']},
            {'columns': ['institution_id']},
        ],
    )
}}

with

scores as (
    select * from {{ ref('int_ikms__institution_scores') }}
),

components as (
    select * from {{ ref('int_ikms__institution_components') }}
),

methods as (
    select * from {{ ref('ikms_methods') }}
),

institutions as (
    select * from {{ ref('dim_institutions') }}
),

periods as (
    select
        scores.*,
        methods.period,
        (scores.period_start + ('1 ' || methods.period)::interval)::date - 1 as period_end
    from scores
    inner join methods on scores.methodology_version = methods.methodology_version
),

component_scores as (
    select
        methodology_version,
        period_start,
        institution_id,
        jsonb_object_agg(component, round(score::numeric, 10) order by component) as component_scores
    from components
    group by methodology_version, period_start, institution_id
),

-- the institution's name in the version valid at the end of the period (or when it ended)
named as (
    select distinct on (periods.methodology_version, periods.period_start, periods.institution_id)
        periods.*,
        institutions.institution_name
    from periods
    inner join institutions
        on periods.institution_id = institutions.institution_id
        and periods.period_end >= institutions.valid_from
        and (institutions.valid_to is null or periods.period_start <= institutions.valid_to)
    order by
        periods.methodology_version asc, periods.period_start asc, periods.institution_id asc,
        institutions.valid_from desc
),

ranked as (
    select
        *,
        -- ties (equal IKMS to 2 decimals, as published in the monthly report) share a rank
        rank() over (
            partition by methodology_version, period_start, comparison_group
            order by round(ikms::numeric, 2) desc
        ) as rank_in_comparison_group,
        count(*) over (
            partition by methodology_version, period_start, comparison_group
        ) as comparison_group_size
    from named
),

final as (
    select
        ranked.methodology_version,
        ranked.period,
        ranked.period_start,
        ranked.period_end,
        ranked.institution_id,
        ranked.institution_name,
        ranked.peer_group,
        ranked.comparison_group,
        -- 10 decimals: a sum of doubles differs in its last bits with the order rows arrive in,
        -- and a re-run must publish the same table
        round(ranked.ikms::numeric, 10)::float8 as ikms,
        ranked.rank_in_comparison_group::int as rank_in_comparison_group,
        ranked.comparison_group_size::int as comparison_group_size,
        ranked.components_scored::int as components_scored,
        round(ranked.weight_available::numeric, 10)::float8 as weight_available,
        component_scores.component_scores
    from ranked
    inner join component_scores
        on ranked.methodology_version = component_scores.methodology_version
        and ranked.period_start = component_scores.period_start
        and ranked.institution_id = component_scores.institution_id
)

select * from final
