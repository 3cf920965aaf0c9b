-- One row per region of Kemendagri 2025 (province, kabupaten, kota): the facts that
-- per-capita measures and regional scorecards need.
with

institutions as (
    select * from {{ ref('stg_registry__institutions') }}
),

regions as (
    select distinct on (region_code) *
    from institutions
    where region_code is not null
    order by region_code asc, valid_from desc
),

provinces as (
    select
        region_code,
        institution_name as province_name
    from regions
    where peer_group = 'provinsi'
),

final as (
    select
        regions.region_code,
        regions.institution_name as region_name,
        regions.peer_group as region_kind,
        case when regions.peer_group = 'provinsi' then 1 else 2 end as region_level,
        regions.province_code,
        provinces.province_name,
        regions.institution_id,
        regions.population,
        regions.area_km2,
        round(regions.population / nullif(regions.area_km2, 0), 1) as population_per_km2,
        regions.timezone,
        case regions.timezone
            when 'Asia/Jakarta' then 'WIB'
            when 'Asia/Makassar' then 'WITA'
            when 'Asia/Jayapura' then 'WIT'
        end as timezone_label
    from regions
    left join provinces on regions.province_code = provinces.region_code
)

select * from final
