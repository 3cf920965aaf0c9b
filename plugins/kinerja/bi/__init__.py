"""Starter BI content: the questions every analyst and regional office asks first, as SQL files.

Each file in questions/ is one question over the published schemas, written for Metabase's
native queries: a header of `-- key: value` lines (name, description, one `param` line per
variable: `-- param month date 2026-09-01: Bulan`) and a query whose variables are written
`{{month}}`. The same file runs in the tests (as the BI role and as a province role, which
row security limits to its province) and becomes a Metabase card (deploy/metabase_setup.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import psycopg

VARIABLE = re.compile(r"\{\{\s*(\w+)\s*\}\}")
HEADER = re.compile(r"--\s*(name|description|param):?\s*(.*)")
PARAM = re.compile(r"(\w+)\s+(date|text|number)\s+(\S+):\s*(.+)")
# Metabase's template tag types of our parameter types
METABASE_TYPES = {"date": "date", "text": "text", "number": "number"}


class QuestionError(ValueError):
    """A question file that cannot be read: names the file and what to fix."""


@dataclass(frozen=True)
class Parameter:
    """A variable of a question: its name, type, default value and label."""

    name: str
    type: str
    default: str
    label: str


@dataclass(frozen=True)
class Question:
    """One starter question: its file's slug, name, description, parameters and SQL."""

    slug: str
    name: str
    description: str
    parameters: tuple[Parameter, ...]
    sql: str

    def psycopg_query(self) -> str:
        """The SQL with `{{name}}` as psycopg's named placeholders (and % doubled)."""
        return VARIABLE.sub(r"%(\1)s", self.sql.replace("%", "%%"))

    def run(self, conn: psycopg.Connection, **values) -> list[dict]:
        """The question's rows as dicts; a parameter not given takes its default."""
        arguments = {p.name: values.get(p.name, p.default) for p in self.parameters}
        cursor = conn.execute(self.psycopg_query(), arguments)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def metabase_template_tags(self) -> dict:
        """The question's parameters as Metabase's native query template tags."""
        return {
            p.name: {
                "id": f"{self.slug}-{p.name}",
                "name": p.name,
                "display-name": p.label,
                "type": METABASE_TYPES[p.type],
                "default": p.default,
                "required": True,
            }
            for p in self.parameters
        }


def parse_question(slug: str, text: str) -> Question:
    """Read one question file (`slug` names it in errors)."""
    fields: dict[str, str] = {}
    parameters = []
    body = []
    for number, line in enumerate(text.splitlines(), start=1):
        header = HEADER.fullmatch(line.strip()) if not body else None
        if header and header.group(1) == "param":
            param = PARAM.fullmatch(header.group(2))
            if not param:
                raise QuestionError(
                    f"{slug}.sql, line {number}: write a parameter as `-- param month date 2026-09-01: Bulan`"
                )
            parameters.append(Parameter(*param.groups()))
        elif header:
            fields[header.group(1)] = header.group(2).strip()
        elif line.strip() or body:
            body.append(line)
    sql = "\n".join(body).strip().rstrip(";")
    if "name" not in fields or not sql:
        raise QuestionError(f"{slug}.sql: a question needs a `-- name:` line and a query")
    used = set(VARIABLE.findall(sql))
    declared = {p.name for p in parameters}
    if used != declared:
        raise QuestionError(
            f"{slug}.sql: the query uses {sorted(used)} and the header declares {sorted(declared)}:"
            " declare each {{variable}} with a `-- param` line"
        )
    return Question(slug, fields["name"], fields.get("description", ""), tuple(parameters), sql)


def questions() -> list[Question]:
    """Every starter question, in file name order."""
    folder = resources.files("kinerja.bi").joinpath("questions")
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return [parse_question(f.name.removesuffix(".sql"), f.read_text(encoding="utf-8")) for f in files]
