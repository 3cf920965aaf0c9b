with

institutions as (
    select * from {{ source('registry', 'institutions') }}
),

final as (
    select
        institution_id,
        valid_from,
        valid_to,
        trim(name) as institution_name,
        peer_group,
        region_code,
        province_code,
        parent_institution_id,
        population,
        area_km2,
        timezone,
        scorecard_email,
        -- text, not an array: BI tools and dbt unit tests read it as it is
        array_to_string(predecessor_ids, ';') as predecessor_ids,
        source as provenance,
        recorded_at,
        recorded_by
    from institutions
)

select * from final
