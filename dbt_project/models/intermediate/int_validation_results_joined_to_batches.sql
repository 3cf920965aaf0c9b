{#- the days a daily build tests: macros/get_where_subquery.sql -#}
{{ config(meta={'rebuilt_window': {'column': 'data_day'}}) }}
-- What the raw audit said of each audited account-day batch: its results, with the batch's
-- source, data day and status. A superseded batch's rows were replaced by a later one.
with

results as (
    select * from {{ ref('stg_audit__validation_results') }}
),

batches as (
    select * from {{ ref('stg_raw__batch_ledger') }}
    where status in ('accepted', 'rejected') and raw_table = 'raw.account_daily'
),

final as (
    select
        results.batch_id,
        batches.source,
        batches.data_day,
        batches.status,
        results.suite,
        results.expectation,
        results.column_name,
        results.level,
        results.success,
        results.unexpected,
        results.rows_checked
    from results
    inner join batches on results.batch_id = batches.batch_id
)

select * from final
