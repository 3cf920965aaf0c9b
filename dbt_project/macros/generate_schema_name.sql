{#- Schemas are named by layer (staging, intermediate, marts, reports), the same in every
    target: BI tools and grants refer to them by name.

    Write-audit-publish: the models of the BI-facing layers (marts, reports) are built in
    build_<layer>, where dbt's tests (and the Great Expectations audit) check them; only
    then does `kinerja.publish` copy them into <layer>, the schema users read. A failed
    test leaves what users see as it was. Internal layers are built in place. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set layer = target.schema if custom_schema_name is none else custom_schema_name | trim -%}
    {%- if node.resource_type == 'model' and layer in var('published_layers') -%}
        build_{{ layer }}
    {%- else -%}
        {{ layer }}
    {%- endif -%}
{%- endmacro %}
