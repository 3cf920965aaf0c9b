-- One row per IKMS method, period and institution with at least one component: the
-- index 0-100, the weighted mean of the components available with the method's weights
-- (seed ikms_weights); the weights of missing components are re-normalised away.
with

components as (
    select * from {{ ref('int_ikms__institution_components') }}
),

weights as (
    select * from {{ ref('ikms_weights') }}
),

methods as (
    select * from {{ ref('ikms_methods') }}
),

total_weights as (
    select
        methodology_version,
        sum(weight) as total_weight
    from weights
    group by methodology_version
),

final as (
    select
        components.methodology_version,
        components.period_start,
        components.institution_id,
        components.peer_group,
        components.comparison_group,
        ({{ ikms_weighted_mean('components.score', 'weights.weight', 'methods.aggregation') }})::float8
            as ikms,
        count(*) as components_scored,
        -- the share of the method's total weight that could be computed
        (sum(weights.weight) / min(total_weights.total_weight))::float8 as weight_available
    from components
    inner join weights
        on components.methodology_version = weights.methodology_version
        and components.component = weights.component
    inner join methods on components.methodology_version = methods.methodology_version
    inner join total_weights on components.methodology_version = total_weights.methodology_version
    group by
        components.methodology_version, components.period_start, components.institution_id,
        components.peer_group, components.comparison_group, methods.aggregation
)

select * from final
