-- Type 2: one row per institution and period in which its name, peer group and contact
-- held. Scores of a month join the version valid in that month, so a rename or a split
-- never rewrites what an earlier month showed.
with

institutions as (
    select * from {{ ref('stg_registry__institutions') }}
),

-- a province's name as it is now, for regional rows
provinces as (
    select distinct on (region_code)
        region_code,
        institution_name as province_name
    from institutions
    where peer_group = 'provinsi'
    order by region_code asc, valid_from desc
),

final as (
    select
        md5(institutions.institution_id || '|' || institutions.valid_from::text) as institution_version_key,
        institutions.institution_id,
        institutions.valid_from,
        institutions.valid_to,
        institutions.valid_to is null as is_current,
        institutions.institution_name,
        institutions.peer_group,
        institutions.region_code,
        institutions.province_code,
        provinces.province_name,
        institutions.parent_institution_id,
        institutions.population,
        institutions.area_km2,
        institutions.timezone,
        institutions.scorecard_email,
        institutions.predecessor_ids,
        institutions.provenance,
        institutions.recorded_at,
        institutions.recorded_by
    from institutions
    left join provinces on institutions.province_code = provinces.region_code
)

select * from final
