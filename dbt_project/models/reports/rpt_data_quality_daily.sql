{{ config(tags=['daily']) }}
-- One row per data day, source, suite and expectation (with the column it checks): how many
-- rows the raw audit checked and failed that day, the success rate, and the source's
-- completeness against the registry per platform that day. For a data-quality dashboard:
-- counts, ids of checks and sources only, no personal data (no rows, accounts or values).
with

results as (
    select batch_id, suite, expectation, column_name, success, unexpected, rows_checked, level
    from {{ source('audit', 'validation_results') }}
),

batches as (
    -- audited account-day batches; a superseded batch's rows were replaced by a later one
    select batch_id, source, data_day, status
    from {{ source('raw', 'batch_ledger') }}
    where status in ('accepted', 'rejected') and raw_table = 'raw.account_daily'
),

checks as (
    select
        batches.data_day,
        batches.source,
        results.suite,
        results.expectation,
        results.column_name,
        max(results.level) as level,
        count(*) as batches_checked,
        count(*) filter (where not results.success) as batches_failed,
        count(*) filter (where batches.status = 'rejected') as batches_rejected,
        sum(results.rows_checked) as rows_checked,
        sum(results.unexpected) as rows_failed
    from results
    inner join batches on results.batch_id = batches.batch_id
    group by 1, 2, 3, 4, 5
),

completeness as (
    select
        metric_date,
        source,
        {% for platform in ['instagram', 'facebook', 'x', 'youtube', 'tiktok'] %}
        round(
            sum(accounts_reported) filter (where platform = '{{ platform }}')::numeric
            / nullif(sum(accounts_active) filter (where platform = '{{ platform }}'), 0),
            4
        ) as completeness_{{ platform }},
        {% endfor %}
        bool_or(status = 'provisional') as completeness_is_provisional,
        count(distinct institution_id) filter (where not institution_has_data) as institutions_without_data
    from {{ source('audit', 'completeness') }}
    group by 1, 2
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
