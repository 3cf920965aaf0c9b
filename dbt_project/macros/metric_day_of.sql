{#- The metric day of a platform's timestamp: the date in the zone of the platform's own
    daily buckets (kinerja.sources.base.PLATFORM_DAY_ZONE, the seed platforms). -#}
{% macro metric_day_of(platform, moment) %}
    ({{ moment }} at time zone case
        when {{ platform }} in ('facebook', 'instagram', 'youtube') then 'America/Los_Angeles'
        else 'Asia/Jakarta'
    end)::date
{% endmacro %}
