{{ config(tags=['daily']) }}
-- One row per data day, source, suite and expectation (with the column it checks): how many
-- rows the raw audit checked and failed that day, the success rate, and the source's
-- completeness against the registry per platform that day. For a data-quality dashboard:
-- counts, ids of checks and sources only, no personal data (no rows, accounts or values).
with

results as (
    select * from {{ ref('int_validation_results_joined_to_batches') }}
),

completeness as (
    select * from {{ ref('int_completeness_pivoted_to_source_days') }}
),

checks as (
    select
        data_day,
        source,
        suite,
        expectation,
        column_name,
        max(level) as level,
        count(*) as batches_checked,
        count(*) filter (where not success) as batches_failed,
        count(*) filter (where status = 'rejected') as batches_rejected,
        sum(rows_checked) as rows_checked,
        sum(unexpected) as rows_failed
    from results
    group by 1, 2, 3, 4, 5
),

final as (
    select
        checks.data_day,
        checks.source,
        checks.suite,
        checks.expectation,
        checks.column_name,
        checks.level,
        checks.batches_checked,
        checks.batches_failed,
        checks.batches_rejected,
        checks.rows_checked,
        checks.rows_failed,
        case
            when checks.level = 'batch' or coalesce(checks.rows_checked, 0) = 0
                then round(1 - checks.batches_failed::numeric / checks.batches_checked, 4)
            else round(1 - checks.rows_failed::numeric / checks.rows_checked, 4)
        end as success_rate,
        completeness.completeness_instagram,
        completeness.completeness_facebook,
        completeness.completeness_x,
        completeness.completeness_youtube,
        completeness.completeness_tiktok,
        completeness.completeness_is_provisional,
        completeness.institutions_without_data
    from checks
    left join completeness
        on checks.data_day = completeness.metric_date
        and checks.source = completeness.source
)

select * from final
