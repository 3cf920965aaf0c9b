-- One row per IKMS method, period, institution and component with a score: the
-- component's score 0-100. An account's component is the mean of its feature scores; an
-- institution's is the mean over its accounts, weighted as the method says (by followers:
-- a platform counts by its share of the institution's audience). A component no account
-- could be scored on has no row: it is missing, never 0.
with

feature_scores as (
    select * from {{ ref('int_ikms__feature_scores') }}
),

account_components as (
    select
        methodology_version,
        period_start,
        institution_id,
        peer_group,
        comparison_group,
        account_id,
        component,
        max(account_weight) as account_weight,
        avg(score) as score
    from feature_scores
    group by
        methodology_version, period_start, institution_id, peer_group, comparison_group, account_id, component
),

final as (
    select
        methodology_version,
        period_start,
        institution_id,
        peer_group,
        comparison_group,
        component,
        sum(account_weight * score) / sum(account_weight) as score,
        count(*) as accounts_scored
    from account_components
    group by methodology_version, period_start, institution_id, peer_group, comparison_group, component
)

select * from final
