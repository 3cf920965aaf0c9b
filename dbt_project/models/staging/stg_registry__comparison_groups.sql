with

comparison_groups as (
    select * from {{ source('registry', 'comparison_groups') }}
),

final as (
    select
        group_id,
        group_name,
        institution_id,
        valid_from,
        valid_to
    from comparison_groups
)

select * from final
