"""The agency file drop: exports institution admins download, dropped into their inbox folder.

    from kinerja.sources.filedrop.inbox import process_inbox
    report = process_inbox(conn, inbox, archive, registry_rows, today, land)  # counts per status, messages

`land` lands a file's rows (kinerja.landing.harvest.land_file_records): the file drop writes no raw row.

- `table` reads the bytes (UTF-8, UTF-8 with BOM, UTF-16 with `sep=,`) into header and rows;
- `parsers` detects the export format from its headers and reads it into canonical rows
  (`parsed`), one problem per bad cell with its line and column (`rows`, `cells`);
- `accounts` decides the registry account of a file, never another institution's;
- `plausibility` holds back follower counts that jump tenfold against the account's history;
- `inbox` archives, lands (source "filedrop") and records each file (`store`,
  tables in warehouse/ddl_filedrop.sql), or moves it to `_rejected/` with an error note.
"""
