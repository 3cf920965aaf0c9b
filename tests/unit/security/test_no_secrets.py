"""No secret in the repository: every file git tracks is scanned, and the scanner proves it finds a planted one."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from support import REPO

# Credentials with a recognisable shape: cloud and platform tokens, private keys, and
# passwords written into connection URLs.
PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP )?PRIVATE KEY( BLOCK)?-----"),
    "AWS access key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"),
    "Meta access token": re.compile(r"\bEAA[A-Za-z0-9]{60,}\b"),
    "JSON web token": re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    "password in a URL": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@'\"]+:(?P<password>[^\s@/'\"]{6,})@"),
    "password assignment": re.compile(
        r"(?i)\b[A-Z0-9_]*(?:PASSWORD|SECRET|TOKEN)[A-Z0-9_]*\s*[=:]\s*['\"]?(?P<password>[A-Za-z0-9+/=_\-]{20,})"
    ),
}
# What the documentation, examples and tests write where a secret would go: never a real one
# (a template variable, a "CHANGE_ME", a "%" that is no percent-encoding: no URL could carry it).
PLACEHOLDERS = re.compile(
    r"(?i)change_?me|example|secret|password|placeholder|dummy|fake|test|sample|xxx|\$?\{|<|%(?![0-9a-f]{2})"
)
# binary files: no text to read
SKIPPED_SUFFIXES = {".png", ".jpg", ".pdf", ".ico", ".gz", ".zip", ".parquet", ".woff", ".woff2"}


def _secret_shaped(value: str) -> bool:
    """A generated secret mixes letters and digits; a placeholder or a name in code does not."""
    return bool(re.search(r"\d", value) and re.search(r"[A-Za-z]", value)) and not PLACEHOLDERS.search(value)


def secrets_in(path: Path, text: str) -> list[str]:
    """Every secret-shaped string of one file, as 'path:line: kind'."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for kind, pattern in PATTERNS.items():
            for match in pattern.finditer(line):
                value = match.groupdict().get("password") or match.group(0)
                if "password" in match.groupdict() and not _secret_shaped(value):
                    continue
                found.append(f"{path}:{number}: {kind}")
    return found


def tracked_files(repo: Path) -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=repo, capture_output=True, check=True).stdout
    return [repo / name for name in listed.decode().split("\0") if name]


def scan(repo: Path) -> list[str]:
    found = []
    for path in tracked_files(repo):
        if path.suffix.lower() in SKIPPED_SUFFIXES or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        found += secrets_in(path.relative_to(repo), text)
    return found


def test_no_file_git_tracks_holds_a_secret():
    files = tracked_files(REPO)
    assert len(files) > 100
    assert scan(REPO) == []


def test_the_scanner_finds_a_planted_secret(tmp_path):
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    planted = {
        "settings.py": 'AWS_KEY = "AKIA' + "Q7LMRZ3XW2KT5NBV" + '"\n',
        ".env": "KINERJA_WAREHOUSE_URL=postgresql://kinerja:" + "Hq7vZr2xLw9p" + "@db:5432/kinerja\n",
        "deploy.sh": "export KINERJA_TOKEN_X=" + "Zr8Qw2LmN4vB7xK1pT6yH3sD" + "\n",
        "notes.md": "the docs say KINERJA_BI_PASSWORD=CHANGE_ME and postgresql://kinerja:secret@db/kinerja\n",
        # code that names a token setting and calls a function: no secret
        "config.py": "token_warning_days=_positive_int_from_env_or_the_default(name)\n",
    }
    for name, content in planted.items():
        (tmp_path / name).write_text(content)
    subprocess.run(["git", "add", "."], cwd=tmp_path, check=True)
    assert sorted(scan(tmp_path)) == [
        ".env:1: password in a URL",
        "deploy.sh:1: password assignment",
        "settings.py:1: AWS access key",
    ]
