{#- the rows a daily build tests: macros/get_where_subquery.sql (from the first planned day on) -#}
{{ config(meta={'rebuilt_window': {'column': 'validated_at', 'grain': 'since'}}) }}
with

validation_results as (
    select * from {{ source('audit', 'validation_results') }}
),

final as (
    select
        batch_id,
        suite,
        expectation,
        column_name,
        level,
        success,
        unexpected,
        rows_checked,
        observed,
        run_id,
        validated_at
    from validation_results
)

select * from final
