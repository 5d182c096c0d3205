"""Project-level checks: migrations match the models, the git hooks run the pinned tools."""

import io
import shlex
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_migrations_match_models():
    out = io.StringIO()
    # --check exits non-zero (SystemExit) when a model change has no migration.
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def pre_commit_hooks() -> list[dict]:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    return [hook for repo in config["repos"] for hook in repo["hooks"]]


def test_pre_commit_hooks_are_local():
    # No hook may need a download: every one runs a tool that requirements/dev.txt installs.
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    ids = {hook["id"] for hook in pre_commit_hooks()}
    assert {"ruff-check", "ruff-format", "makemigrations-check"} <= ids


@pytest.mark.parametrize("hook", pre_commit_hooks(), ids=lambda hook: hook["id"])
def test_pre_commit_hook_runs_an_installed_tool(hook):
    program = shlex.split(hook["entry"])[0]
    assert program.startswith(".venv/bin/"), "hooks run the pinned tools from .venv"
    # Installed by requirements/dev.txt beside the interpreter running the tests.
    installed = Path(sys.executable).parent / Path(program).name
    assert installed.exists(), f"{program}: no such tool installed; pin its package in dev.txt"
