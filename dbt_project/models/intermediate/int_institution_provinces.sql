-- One row per institution: the province it belongs to, as its latest version says (null:
-- a central institution). The one rule of an institution's province for the account
-- dimensions and, through them, for the province roles' row security.
with

institutions as (
    select * from {{ ref('stg_registry__institutions') }}
),

final as (
    select distinct on (institution_id)
        institution_id,
        province_code
    from institutions
    order by institution_id asc, valid_from desc
)

select * from final
