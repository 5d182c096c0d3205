"""No secret in the repository or the image (issue 13, 6b; docs/reliability.md).

Scans every file git tracks for what a leaked credential looks like — private keys, cloud and
chat-service tokens, credentials in URLs, long literals assigned to a secret's name — and checks
that the image's build context (.dockerignore) leaves out .env files, var/ (the embedded servers'
data) and .git, and that the Dockerfile bakes no secret into the image's environment and runs as
a non-root user. Prints one line per finding and exits 1 when there is any.

Allowed: the settings' development-only key (refused when DEBUG is off), placeholders on
example hosts, and literals ruff already reviewed as test values (`noqa: S105`/`S106`).

    python reliability/run_secrets_scan.py
"""

import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PATTERNS = {
    "private key": re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    "AWS access key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "Slack webhook": re.compile(r"hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+"),
    "Stripe key": re.compile(r"\b[sr]k_live_[0-9A-Za-z]{16,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "credentials in a URL": re.compile(r"[a-z+]+://[^/\s:@'\"]+:([^/\s:@'\"]{6,})@([^/\s:'\"]+)"),
    "secret assigned": re.compile(
        r"(?i)\b\w*(secret|passw(or)?d|api_?key|token)\w*\s*[:=]\s*[\"']([^\"'\s{}%$<>]{16,})[\"']"
    ),
}
# Hosts and values that are documentation, not credentials.
PLACEHOLDER = re.compile(
    r"(?i)example\.(com|org|net)|localhost|127\.0\.0\.1|\bpassword\b|\bsecret\b|changeme|"
    r"your[-_]|insecure|not-a-secret|development-only|dummy|placeholder|<[^>]+>|\.\.\.|"
    # A variable in a URL, or the name of a setting (KOEL_FRED_API_KEY) rather than its value.
    r"\$\{|(?-i:[\"'][A-Z][A-Z0-9_]+[\"'])"
)
REVIEWED = re.compile(r"noqa: S10[56]")
# This file names the patterns it looks for.
SELF = Path(__file__).resolve().relative_to(ROOT).as_posix()

IGNORED_IN_IMAGE = (".env", ".env.*", "var", ".git", ".venv")


def tracked_files(root: Path = ROOT) -> list[Path]:
    listed = subprocess.run(
        [shutil.which("git") or "git", "ls-files", "-z"], cwd=root, capture_output=True, check=True
    ).stdout
    return [root / name for name in listed.decode().split("\0") if name]


def scan_text(name: str, text: str) -> list[str]:
    """`name:line: what` for every suspected secret in `text`."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if REVIEWED.search(line):
            continue
        for what, pattern in PATTERNS.items():
            match = pattern.search(line)
            if match and not PLACEHOLDER.search(match.group(0)):
                found.append(f"{name}:{number}: {what}")
    return found


def scan_files(paths: Iterable[Path], root: Path = ROOT) -> list[str]:
    found = []
    for path in paths:
        name = path.relative_to(root).as_posix()
        if name == SELF or not path.is_file():
            continue
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue  # binary (an image, a fixture): no credential is typed into one
        found += scan_text(name, text)
    return found


def image_findings(root: Path = ROOT) -> list[str]:
    """What the image's build would let in or bake in."""
    ignored = {line.strip() for line in (root / ".dockerignore").read_text().splitlines()}
    missing = [entry for entry in IGNORED_IN_IMAGE if entry not in ignored]
    found = [f".dockerignore: {entry} is not left out" for entry in missing]
    dockerfile = (root / "Dockerfile").read_text()
    if re.search(r"(?im)^\s*(ENV|ARG)\b.*(SECRET|PASSWORD|TOKEN|_KEY)", dockerfile):
        found.append("Dockerfile: a secret in the image's environment")
    users = re.findall(r"(?im)^\s*USER\s+(\S+)", dockerfile)
    if not users or users[-1].split(":")[0] in ("root", "0"):
        found.append("Dockerfile: the image runs as root")
    return found


def main() -> int:
    found = scan_files(tracked_files()) + image_findings()
    for line in found:
        print(line)
    files = len(tracked_files())
    print(f"secrets scan: {files} tracked files, {len(found)} findings")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
