{#- the rows a daily build tests: macros/get_where_subquery.sql (from the first planned day on) -#}
{{ config(meta={'rebuilt_window': {'column': 'quarantined_at', 'grain': 'since'}}) }}
with

quarantine as (
    select * from {{ source('raw', 'quarantine') }}
),

final as (
    select
        batch_id,
        row_number,
        check_name,
        account_id,
        platform,
        metric_date,
        column_name,
        reason,
        quarantined_at
    from quarantine
)

select * from final
