"""Sources of account-day metrics. Each yields records in the canonical shape:

one dict per account and metric day with the keys of `CANONICAL_FIELDS`; a value is
a number or None ("no value"), never a zero standing in for a missing value.
"""

# Identity of a record, then its metrics, in the order raw.account_daily stores them.
KEY_FIELDS = ("platform", "account_id", "metric_date")
METRIC_FIELDS = (
    "followers",
    "posts",
    "views",
    "reach",
    "likes",
    "comments",
    "shares",
    "saves",
    "angry",  # anger reactions (Facebook only): a crisis signal
    "replies",
    "replies_24h",
)
CANONICAL_FIELDS = KEY_FIELDS + METRIC_FIELDS
