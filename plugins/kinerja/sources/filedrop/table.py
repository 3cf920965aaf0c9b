"""From the bytes of a dropped file to a table of text cells with their line numbers, streamed.

The rows are never held all at once: `read_table` checks the whole file a chunk and a row at
a time, keeping only the header, and `Table.rows()` reads the rows from the bytes again each
time a parser asks for them, so that memory does not grow with the number of rows.

Exports arrive in several encodings (UTF-8, UTF-8 with a byte-order mark, UTF-16 LE with
Excel's `sep=,` hint as their first line) and with several delimiters. A file that is not
text at all (a spreadsheet, a PDF, a picture) raises `UnreadableFile` saying what to do.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
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
    """The header of one export; its data rows are read from the bytes again each time they are asked for.

    `read_table` has read every row once already: a table that exists is text, CSV, and within
    the row limit, so reading its rows again cannot fail.
    """

    name: str
    headers: list[str]
    preamble: list[str]  # lines before the header (`sep=,`, a title)
    encoding: str
    row_count: int  # data rows; blank lines are none
    data: bytes = field(repr=False)
    delimiter: str = ","
    skipped: int = 0  # lines before the table proper (Excel's `sep=X` hint)

    @property
    def header_keys(self) -> set[str]:
        return {header_key(h) for h in self.headers}

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Each data row, its cells trimmed, with the line it starts on."""
        for kind, line, cells in _scan(self.data, self.encoding, self.delimiter, self.skipped, self.name):
            if kind == _ROW:
                yield line, cells

    def records(self) -> Iterator[tuple[int, dict[str, str]]]:
        """Each data row as {header key: cell}, so that columns are found by name, never by position."""
        keys = [header_key(h) for h in self.headers]
        for line, cells in self.rows():
            # short rows are padded with empty cells; cells past the last header (a trailing
            # separator) have no column and are dropped: strict=False on purpose
            yield line, dict(zip(keys, cells + [""] * (len(keys) - len(cells)), strict=False))


def encoding_of(data: bytes, name: str) -> str:
    """The encoding of a file, from its first bytes; `UnreadableFile` for a file that is no text."""
    for signature, advice in _BINARY_SIGNATURES.items():
        if data.startswith(signature):
            raise UnreadableFile(f"{name} is {advice}")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if len(data) >= 4 and data[1] == 0 and data[3] == 0:
        return "utf-16-le"  # UTF-16 LE without a byte-order mark
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    return "utf-8"


# How much of a file is decoded at a time when it is checked.
_CHUNK_BYTES = 1 << 20


def _check_text(data: bytes, encoding: str, name: str) -> None:
    """Decode the file a chunk at a time: it must be text of its encoding, without NULs, not blank."""
    decoder = codecs.getincrementaldecoder(encoding)()
    view, blank = memoryview(data), True
    for start in range(0, max(len(data), 1), _CHUNK_BYTES):
        pending = len(
            decoder.getstate()[0]
        )  # bytes of the chunk before that wait for the rest of a character
        try:
            text = decoder.decode(view[start : start + _CHUNK_BYTES], final=start + _CHUNK_BYTES >= len(data))
        except UnicodeDecodeError as error:
            raise UnreadableFile(
                f"{name} is not {encoding.upper()} text (byte {start - pending + error.start} cannot be read): "
                "download the export again and drop it without opening and re-saving it"
            ) from None
        if "\x00" in text:
            raise UnreadableFile(
                f"{name} holds NUL characters, so it is no text export: download the CSV export again"
            )
        blank = blank and not text.strip()
    if blank:
        raise UnreadableFile(f"{name} is empty: download the export again")


def _text(data: bytes, encoding: str) -> io.TextIOWrapper:
    # newline="": lines end at \n, \r\n or \r and keep their ends, as the csv module wants
    return io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")


def read_table(data: bytes, name: str, max_rows: int | None = None) -> Table:
    """The table of a dropped file: preamble lines (`sep=,`, a one-cell title) set apart.

    The whole file is read through here, a chunk and a row at a time, keeping only the header:
    a file that is no CSV table is refused before any row of it is used, a file with more than
    `max_rows` data rows as soon as the row past the limit is read.
    """
    encoding = encoding_of(data, name)
    _check_text(data, encoding, name)
    delimiter, skipped = _preamble(_text(data, encoding))
    preamble = [_text(data, encoding).readline().strip()] if skipped else []
    headers: list[str] | None = None
    row_count = 0
    for kind, _, cells in _scan(data, encoding, delimiter, skipped, name):
        if kind == _TITLE:
            preamble.append(cells[0])
        elif kind == _HEADER:
            headers = cells
        else:
            row_count += 1
            if max_rows is not None and row_count > max_rows:
                raise UnreadableFile(
                    f"{name} holds more than {max_rows:,} data rows, more than the file drop takes from one "
                    "file: export a shorter period (at most the last three months) or one account at a time"
                )
    if headers is None:
        raise UnreadableFile(f"{name} has no header row: download the export again")
    return Table(name, headers, preamble, encoding, row_count, data, delimiter, skipped)


_TITLE, _HEADER, _ROW = "title", "header", "row"


def _scan(
    data: bytes, encoding: str, delimiter: str, skipped: int, name: str
) -> Iterator[tuple[str, int, list[str]]]:
    """(kind, first line, trimmed cells) of each non-blank row: title lines above the header
    (Meta insights), the header, then the data rows."""
    text = _text(data, encoding)
    for _ in range(skipped):
        text.readline()
    reader = csv.reader(text, delimiter=delimiter)
    header_seen, last_line = False, skipped
    try:
        for cells in reader:
            first_line, last_line = last_line + 1, skipped + reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if not header_seen and len(cells) == 1:
                yield _TITLE, first_line, [cells[0].strip()]
            else:
                yield (_ROW if header_seen else _HEADER), first_line, [c.strip() for c in cells]
                header_seen = True
    except csv.Error as error:  # a cell beyond csv's field limit, a stray quote at the end
        raise UnreadableFile(
            f"{name} is no CSV table after line {skipped + reader.line_num} ({error}): download the export "
            "again and drop it without editing it"
        ) from None


def _preamble(text: io.TextIOWrapper) -> tuple[str, int]:
    """The delimiter, and how many lines precede the table (Excel's `sep=X` hint)."""
    first = text.readline()
    hint = first.strip().strip('"')
    if hint.casefold().startswith("sep=") and len(hint) == 5:
        return hint[4], 1
    header = first
    while header and not header.strip():
        header = text.readline()
    return max(_DELIMITERS, key=header.count), 0
