"""What the BI tests' warehouse holds (conftest.py builds it); imported by the tests by name."""

import uuid
from datetime import date

FIRST_DAY, DAYS = date(2026, 9, 22), 14
PROVINCE = "51"
# a Bali account a ministry shares from the first day: counted once by the obvious join
SHARED_ACCOUNT, SHARING_INSTITUTION = "demo-prov-51-instagram", "kem-komdigi"
# a central institution without accounts (no data: not ranked), named as an attacker would
EMPTY_INSTITUTION = "lem-uji-kosong"
HOSTILE_NAME = """Badan "Uji" O'Brien; drop table marts.dim_dates; -- <script>alert('x')</script> & <b>"""
# two weeks across a month boundary: September's 9 days cover the month, October's 5 do not
MIN_COVERAGE = 0.2
CRISIS_RATE = 0.03
PASSWORD = "bi-test-" + uuid.uuid4().hex[:12]
