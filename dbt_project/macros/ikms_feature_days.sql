{#- The catalogue of account-day metrics a feature may add up (kinerja.sources.METRIC_FIELDS). -#}
{% macro ikms_account_day_metrics() -%}
    {{ return(['followers', 'posts', 'views', 'reach', 'likes', 'comments', 'shares', 'saves', 'angry',
        'replies', 'replies_24h']) }}
{%- endmacro %}

{#- Per feature (rows of `metric`, `is_zero_when_missing`, grouped by feature): for each
    catalogue metric, whether the feature adds it up (uses_<metric>) and whether a day
    without a value counts it as 0 (zero_<metric>). -#}
{% macro ikms_metric_flags() -%}
    {%- for metric in ikms_account_day_metrics() %}
    bool_or(metric = '{{ metric }}') as uses_{{ metric }},
    bool_or(metric = '{{ metric }}' and is_zero_when_missing) as zero_{{ metric }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- A feature's metrics added up on one account-day (`flags`: the feature's ikms_metric_flags,
    `day`: the account-day), numeric like any sum: no value when a metric it uses without the
    zero policy has none. -#}
{% macro ikms_feature_day_value(flags, day) -%}
    case
        when
        {%- for metric in ikms_account_day_metrics() %}
            (not {{ flags }}.uses_{{ metric }} or {{ flags }}.zero_{{ metric }} or {{ day }}.{{ metric }} is not null)
            {{- ' and' if not loop.last }}
        {%- endfor %}
            then (
        {%- for metric in ikms_account_day_metrics() %}
                case when {{ flags }}.uses_{{ metric }} then coalesce({{ day }}.{{ metric }}, 0) else 0 end
                {{- ' +' if not loop.last }}
        {%- endfor %}
            )::numeric
    end
{%- endmacro %}
