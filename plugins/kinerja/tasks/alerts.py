"""Task body of the daily run's alerts: the crisis signals and API tokens of its days, each sent once."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from kinerja import alerts, config
from kinerja.landing.plan import DayPlan
from kinerja.warehouse import connect, ensure_warehouse

log = logging.getLogger(__name__)


def send_day_alerts(day_plan: dict) -> dict:
    """After publish: alert the crisis signals judged on the planned days, and tokens refused or expiring.

    A crisis signal is judged once its day is final, in whichever later run rebuilds it; each
    is sent once (ops.alerts_sent). A token's state is sent once a day while it lasts.
    """
    planned = DayPlan.from_xcom(day_plan)
    settings = config.alert_settings()
    today = datetime.now(ZoneInfo(config.DEFAULT_TIMEZONE)).date()
    sent = {"crisis_signals": 0, "tokens": 0}
    with connect(ensure_warehouse(), autocommit=True) as conn:
        for day in planned.days:
            signals = alerts.crisis_signals_of(conn, day)
            new = alerts.not_sent_before(conn, "crisis_signal", [f"{s['account_id']}:{day}" for s in signals])
            alert = alerts.crisis_signals(day, [s for s in signals if f"{s['account_id']}:{day}" in new])
            if alert:
                alerts.send(alert, settings)
                sent["crisis_signals"] += len(new)
        states = alerts.token_states(conn, planned.days, today, settings.token_warning_days)
        keys = {f"{s.platform}:{s.account_id}:{s.state}:{s.when}:{today}": s for s in states}
        new = alerts.not_sent_before(conn, "token_expiry", list(keys))
        alert = alerts.token_expiry(today, [keys[k] for k in keys if k in new], settings.token_warning_days)
        if alert:
            alerts.send(alert, settings)
            sent["tokens"] = len(new)
    log.info("alerts sent for %s: %s", planned.describe(), sent)
    return sent
