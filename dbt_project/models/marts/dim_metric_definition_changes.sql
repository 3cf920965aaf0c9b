-- One row per change of a metric's definition on a platform (seed metric_definition_changes):
-- where trends mark a break and month-on-month changes across it are "not comparable".
with

changes as (
    select * from {{ ref('metric_definition_changes') }}
),

final as (
    select
        change_date,
        platform,
        metric,
        field_before,
        field_after,
        what_changed,
        comparable_across,
        source_url,
        -- the month that mixes both definitions (unless the change fell on its first day)
        date_trunc('month', change_date)::date as change_month,
        -- the first month measured wholly under the new definition
        case
            when extract(day from change_date) = 1 then change_date
            else (date_trunc('month', change_date) + interval '1 month')::date
        end as first_full_month_after
    from changes
)

select * from final
