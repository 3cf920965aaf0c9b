{#- The metric day of a platform's timestamp: the date in the zone of the platform's own
    daily buckets, as the seed platforms gives it (metric_day_zone; Python reads the same
    seed through kinerja.platforms). A platform the seed does not list has no metric day (null).

    A correlated lookup rather than a join, so that any expression can use it; it costs a
    little more per row than a hard-coded `case` (docs/architecture.md, "The dbt layers").
    The seed's columns are renamed inside, so that an unqualified `platform` argument still
    names the caller's column.

    platform: SQL for the platform's name; moment: SQL for a timestamptz. -#}
{% macro metric_day_of(platform, moment) %}
    ({{ moment }} at time zone (
        select zones.metric_day_zone
        from (
            select seed.platform as zone_platform, seed.metric_day_zone
            from {{ ref('platforms') }} as seed
        ) as zones
        where zones.zone_platform = {{ platform }}
    ))::date
{% endmacro %}
