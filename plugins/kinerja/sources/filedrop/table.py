"""From the bytes of a dropped file to a table of text cells with their line numbers.

Exports arrive in several encodings (UTF-8, UTF-8 with a byte-order mark, UTF-16 LE with
Excel's `sep=,` hint as their first line) and with several delimiters. A file that is not
text at all (a spreadsheet, a PDF, a picture) raises `UnreadableFile` saying what to do.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from kinerja.sources.filedrop.cells import header_key

# Signatures of files that are not CSV text, with what the sender should do instead.
_BINARY_SIGNATURES = {
    b"PK\x03\x04": "an Excel workbook (.xlsx) or a zip archive: export or save it as CSV",
    b"\xd0\xcf\x11\xe0": "an old Excel workbook (.xls): export or save it as CSV",
    b"%PDF": "a PDF document: download the data export (CSV) instead",
    b"\x89PNG": "a picture: download the data export (CSV) instead",
    b"\xff\xd8\xff": "a picture: download the data export (CSV) instead",
}
_DELIMITERS = (",", ";", "\t")


class UnreadableFile(ValueError):
    """The file cannot be read as an export at all: nothing of it can land."""


@dataclass
class Table:
    """The header and the data rows of one export, each row with its line number in the file."""

    name: str
    headers: list[str]
    rows: list[tuple[int, list[str]]]
    preamble: list[str] = field(default_factory=list)  # lines before the header (`sep=,`, a title)
    encoding: str = "utf-8"

    @property
    def header_keys(self) -> set[str]:
        return {header_key(h) for h in self.headers}

    def records(self) -> list[tuple[int, dict[str, str]]]:
        """Each data row as {header key: cell}, so that columns are found by name, never by position."""
        keys = [header_key(h) for h in self.headers]
        # short rows are padded with empty cells; cells past the last header (a trailing
        # separator) have no column and are dropped: strict=False on purpose
        padded = ((line, cells + [""] * (len(keys) - len(cells))) for line, cells in self.rows)
        return [(line, dict(zip(keys, cells, strict=False))) for line, cells in padded]


def decode(data: bytes, name: str) -> tuple[str, str]:
    """The text of a file and the encoding it was in."""
    for signature, advice in _BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise UnreadableFile(f"{name} is {advice}")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _decoded(data, "utf-16", name), "utf-16"
    if len(data) >= 4 and data[1] == 0 and data[3] == 0:
        return _decoded(data, "utf-16-le", name), "utf-16-le"  # UTF-16 LE without a byte-order mark
    if data.startswith(b"\xef\xbb\xbf"):
        return _decoded(data, "utf-8-sig", name), "utf-8-sig"
    return _decoded(data, "utf-8", name), "utf-8"


def _decoded(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise UnreadableFile(
            f"{name} is not {encoding.upper()} text (byte {error.start} cannot be read): "
            "download the export again and drop it without opening and re-saving it"
        ) from None


def read_table(data: bytes, name: str, max_rows: int | None = None) -> Table:
    """The table of a dropped file: preamble lines (`sep=,`, a one-cell title) set apart.

    A file with more than `max_rows` data rows is refused whole, as soon as the row past the
    limit is read.
    """
    text, encoding = decode(data, name)
    if "\x00" in text:
        raise UnreadableFile(
            f"{name} holds NUL characters, so it is no text export: download the CSV export again"
        )
    lines = text.splitlines(keepends=True)
    if not any(line.strip() for line in lines):
        raise UnreadableFile(f"{name} is empty: download the export again")
    delimiter, skipped = _preamble(lines)
    reader = csv.reader(io.StringIO("".join(lines[skipped:])), delimiter=delimiter)
    preamble = [line.strip() for line in lines[:skipped]]
    try:
        headers, rows = _rows(reader, name, skipped, preamble, max_rows)
    except csv.Error as error:  # a cell beyond csv's field limit, a stray quote at the end
        raise UnreadableFile(
            f"{name} is no CSV table after line {skipped + reader.line_num} ({error}): download the export "
            "again and drop it without editing it"
        ) from None
    if headers is None:
        raise UnreadableFile(f"{name} has no header row: download the export again")
    return Table(name, headers, rows, preamble, encoding)


def _rows(
    reader, name: str, skipped: int, preamble: list[str], max_rows: int | None
) -> tuple[list[str] | None, list[tuple[int, list[str]]]]:
    """The header and the data rows with their first line; title lines above the header go to `preamble`."""
    rows: list[tuple[int, list[str]]] = []
    headers: list[str] | None = None
    last_line = skipped
    for cells in reader:
        first_line, last_line = last_line + 1, skipped + reader.line_num
        if not any(c.strip() for c in cells):
            continue
        if headers is None and len(cells) == 1:
            preamble.append(cells[0].strip())  # a title line above the header (Meta insights)
        elif headers is None:
            headers = [c.strip() for c in cells]
        else:
            rows.append((first_line, [c.strip() for c in cells]))
            if max_rows is not None and len(rows) > max_rows:
                raise UnreadableFile(
                    f"{name} holds more than {max_rows:,} data rows, more than the file drop takes from one "
                    "file: export a shorter period (at most the last three months) or one account at a time"
                )
    return headers, rows


def _preamble(lines: list[str]) -> tuple[str, int]:
    """The delimiter, and how many lines precede the table (Excel's `sep=X` hint)."""
    first = lines[0].strip().strip('"')
    if first.casefold().startswith("sep=") and len(first) == 5:
        return first[4], 1
    header = next(line for line in lines if line.strip())
    return max(_DELIMITERS, key=header.count), 0
