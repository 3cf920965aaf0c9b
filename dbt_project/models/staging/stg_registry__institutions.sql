with

institutions as (
    select * from {{ source('registry', 'institutions') }}
),

final as (
    select
        institution_id,
        trim(name) as institution_name,
        peer_group,
        region_code,
        province_code,
        parent_institution_id,
        population,
        area_km2,
        timezone,
        scorecard_email
    from institutions
)

select * from final
