"""Landing: everything that writes what a source harvested into the raw schema.

- `batches`: COPY-based, idempotent landing of account-day and post batches, with the ledger;
- `payloads`: what a harvest reports besides rows (payloads archived as received, problems);
- `harvest`: the one path that lands any Harvest and audits each of its batches;
- `filedrop`: each file the file drop read, archived as received, landed and recorded in one
  transaction, then settled in its inbox;
- `plan`: the days a daily run covers, planned once (the days-landed rule).
"""

from kinerja.landing.batches import (
    ACCOUNT_DAILY,
    POST_DAILY,
    LandedBatch,
    batch_id_for,
    land_batch,
    land_posts,
)

__all__ = ["ACCOUNT_DAILY", "POST_DAILY", "LandedBatch", "batch_id_for", "land_batch", "land_posts"]
