with

quarantine as (
    select * from {{ ref('stg_raw__quarantine') }}
),

-- a row that failed several checks is quarantined once
final as (
    select distinct
        batch_id,
        row_number
    from quarantine
)

select * from final
