with

institutions as (
    select * from {{ ref('stg_registry__institutions') }}
),

provinces as (
    select institution_id, region_code, institution_name from institutions
    where peer_group = 'provinsi'
),

final as (
    select
        institutions.institution_id,
        institutions.institution_name,
        institutions.peer_group,
        institutions.region_code,
        institutions.province_code,
        provinces.institution_name as province_name,
        institutions.parent_institution_id,
        institutions.population,
        institutions.area_km2,
        institutions.timezone,
        institutions.scorecard_email
    from institutions
    left join provinces on institutions.province_code = provinces.region_code
)

select * from final
