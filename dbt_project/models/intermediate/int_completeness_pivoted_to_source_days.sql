{#- the days a daily build tests: macros/get_where_subquery.sql -#}
{{ config(meta={'rebuilt_window': {'column': 'metric_date'}}) }}
-- The raw audit's completeness of each source and metric day: per platform, the share of the
-- registry's active accounts that reported; whether any of it is still provisional; the
-- institutions without a single reporting account.
with

completeness as (
    select * from {{ ref('stg_audit__completeness') }}
),

final as (
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
    from completeness
    group by 1, 2
)

select * from final
