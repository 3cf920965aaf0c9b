{#- the days a daily build tests: macros/get_where_subquery.sql -#}
{{ config(meta={'rebuilt_window': {'column': 'metric_date'}}) }}
-- Accepted account-day metrics: rows of batches the audit accepted, minus the rows it quarantined.
with

account_days as (
    select * from {{ ref('stg_raw__account_daily') }}
),

accepted_batches as (
    select * from {{ ref('int_batches_accepted') }}
    where raw_table = 'raw.account_daily'
),

quarantined_rows as (
    select * from {{ ref('int_batch_rows_quarantined') }}
),

final as (
    select
        account_days.batch_id,
        account_days.row_number,
        accepted_batches.first_landed_at as batch_landed_at,
        account_days.source,
        account_days.source_kind,
        account_days.platform,
        account_days.account_id,
        account_days.metric_date,
        account_days.followers,
        account_days.posts,
        account_days.views,
        account_days.reach,
        account_days.likes,
        account_days.comments,
        account_days.shares,
        account_days.saves,
        account_days.angry,
        account_days.replies,
        account_days.replies_24h,
        account_days.no_value,
        account_days.has_values
    from account_days
    inner join accepted_batches on account_days.batch_id = accepted_batches.batch_id
    left join quarantined_rows
        on account_days.batch_id = quarantined_rows.batch_id
        and account_days.row_number = quarantined_rows.row_number
    where quarantined_rows.batch_id is null
)

select * from final
