"""The agency file drop: exports institution admins download, dropped into their inbox folder.

    dropped = inbox.read_inbox(conn, inbox_folder, registry_rows, today)  # one DroppedFile per new file
    report = land_dropped_files(conn, dropped, archive)  # kinerja.landing.filedrop; counts, messages

The file drop reads and writes nothing: landing archives each file, lands its rows, records
it and only then settles it in the inbox (tasks.sources.land_file_drops does the above).

- `table` reads the bytes (UTF-8, UTF-8 with BOM, UTF-16 with `sep=,`) into a header and a
  stream of rows, refusing a file of more rows than it is given (`KINERJA_FILEDROP_MAX_ROWS`);
- `parsers` detects the export format from its headers and reads it into canonical rows
  (`parsed`), one problem per bad cell with its line and column (`rows`, `cells`: counts up to
  a bound, month names from CLDR, a year-less export placed as one window of days); rows are
  parsed as they are read, again for each pass, never all held;
- `spooled` keeps what a file leaves for landing, its held rows and its records, in temporary
  files, so that memory does not grow with the rows of a file (bench/filedrop_large.py);
- `accounts` decides the registry account of a file, never another institution's;
- `plausibility` holds back follower counts that jump tenfold against the account's history;
- `lookups` is what the file drop reads of the warehouse: bytes landed before, last known followers;
- `inbox` walks the inbox, never through a link, and reads each file into a
  `dropped.DroppedFile`: its entry for raw.filedrop_files (landed, partly_held, rejected,
  failed), its records (source "filedrop"), its held rows (bad, after the drop day, outside
  the account's period, repeated, implausible), and `settle`, which removes the file once
  landed or moves it to `_rejected/` with a note, and writes the sender's note to `_outbox/`.
"""
