{#- the days a daily build tests: macros/get_where_subquery.sql -#}
{{ config(meta={'rebuilt_window': {'column': 'metric_date'}}) }}
-- days whose completeness the raw audit still calls provisional: the platform may restate them
with

completeness as (
    select * from {{ ref('stg_audit__completeness') }}
),

final as (
    select distinct
        source,
        metric_date,
        platform
    from completeness
    where status = 'provisional'
)

select * from final
