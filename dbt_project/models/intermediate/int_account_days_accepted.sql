{#- the days a daily build tests: macros/get_where_subquery.sql -#}
{{ config(meta={'rebuilt_window': {'column': 'metric_date'}}) }}
-- Accepted account-day metrics: rows of batches the audit accepted, minus the rows it quarantined.
with

account_days as (
    {{ accepted_rows_of(ref('stg_raw__account_daily'), 'raw.account_daily') }}
),

final as (
    select
        account_days.batch_id,
        account_days.row_number,
        account_days.batch_landed_at,
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
)

select * from final
