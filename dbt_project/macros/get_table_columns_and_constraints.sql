{#- Contracts create every declared constraint except foreign keys in the build schemas.

    Write-audit-publish: dbt builds marts and reports in build_<layer>, where a table is
    replaced by a new one at every build (and the old one dropped with cascade), and the
    daily run builds no reference dimension (dim_dates, dim_platforms): a foreign key there
    would be dropped with its target, or point at a table that does not exist yet. The
    published tables are never dropped, so `kinerja.publish` creates the foreign keys the
    contracts declare on them (from the manifest), once both tables are published. The
    relationships tests check the same keys in the build before anything is published. -#}
{% macro postgres__get_table_columns_and_constraints() -%}
    {%- set columns = {} -%}
    {%- for name, column in model['columns'].items() -%}
        {%- set kept = column['constraints'] | rejectattr('type', 'equalto', 'foreign_key') | list -%}
        {%- do columns.update({name: dict(column, constraints=kept)}) -%}
    {%- endfor -%}
    {%- set model_constraints = model['constraints'] | rejectattr('type', 'equalto', 'foreign_key') | list -%}
    {%- set rendered_columns = adapter.render_raw_columns_constraints(raw_columns=columns) -%}
    {%- set rendered_model_constraints = adapter.render_raw_model_constraints(raw_constraints=model_constraints) -%}
    (
    {% for c in rendered_columns -%}
        {{ c }}{{ "," if not loop.last or rendered_model_constraints }}
    {% endfor %}
    {% for c in rendered_model_constraints -%}
        {{ c }}{{ "," if not loop.last }}
    {% endfor -%}
    )
{%- endmacro %}
