{#- the days a daily build tests: macros/get_where_subquery.sql -#}
{{ config(meta={'rebuilt_window': {'column': 'metric_date'}}) }}
with

completeness as (
    select * from {{ source('audit', 'completeness') }}
),

final as (
    select
        source,
        metric_date,
        institution_id,
        platform,
        institution_name,
        accounts_active,
        accounts_reported,
        share_reported,
        status,
        institution_has_data,
        restatement_days,
        judged_as_of,
        batch_id,
        judged_at
    from completeness
)

select * from final
