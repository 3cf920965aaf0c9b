"""Comments reduced to counts and reply latencies, in memory, before anything is kept.

Comments are citizens' personal data (author, text; UU 27/2022 PDP). A connector turns each
comment it reads into a `Comment` (thread, time, whether the account wrote it) at once, and
only `ReplyStats` (counts and latencies in seconds) ever reaches a record or a payload.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

DAY_S = 24 * 3600


@dataclass(frozen=True)
class Comment:
    """What we keep of a comment while counting: no author, no text."""

    thread: str  # the top-level comment this one belongs to (itself when top-level)
    created: datetime
    by_account: bool  # written by the official account itself
    is_reply: bool  # an answer inside a thread, not a top-level comment


@dataclass
class ReplyStats:
    public_comments: int = 0  # comments by anyone but the account
    answered: int = 0  # public comments the account answered later in their thread
    answered_24h: int = 0
    latencies_s: list[float] = field(default_factory=list)

    @property
    def median_latency_s(self) -> float | None:
        return median(self.latencies_s) if self.latencies_s else None

    def as_payload(self, post_id: str) -> dict:
        """The archived form of a post's comments: counts and latencies only."""
        return {
            "post_id": post_id,
            "public_comments": self.public_comments,
            "answered": self.answered,
            "answered_24h": self.answered_24h,
            "reply_latencies_s": sorted(self.latencies_s),
            "reduced": "comment authors and texts removed in memory (UU 27/2022 PDP)",
        }

    @classmethod
    def from_payload(cls, body: dict) -> ReplyStats:
        """The counts of an archived payload (`as_payload`), as they were reduced."""
        return cls(
            body["public_comments"], body["answered"], body["answered_24h"], list(body["reply_latencies_s"])
        )


def reply_stats(comments: Iterable[Comment]) -> ReplyStats:
    """Each public comment is answered by the account's first reply in its thread after it."""
    threads: dict[str, list[Comment]] = defaultdict(list)
    for comment in comments:
        threads[comment.thread].append(comment)
    stats = ReplyStats()
    for thread in threads.values():
        answers = sorted(c.created for c in thread if c.by_account and c.is_reply)
        for comment in (c for c in thread if not c.by_account):
            stats.public_comments += 1
            latency = _first_answer_after(comment.created, answers)
            if latency is not None:
                stats.answered += 1
                stats.answered_24h += latency <= DAY_S
                stats.latencies_s.append(latency)
    return stats


def _first_answer_after(moment: datetime, answers: list[datetime]) -> float | None:
    for answer in answers:
        if answer >= moment:
            return (answer - moment).total_seconds()
    return None
