"""`make test` gets the browser tests their Chromium (koel/stack.py), or says why it cannot."""

import subprocess
from unittest.mock import patch

from koel import stack

APT = "/usr/bin/apt-get"


def test_chromium_present_is_left_alone(tmp_path):
    executable = tmp_path / "chromium"
    executable.touch()
    env = {"KOEL_CHROMIUM": str(executable)}

    with patch.object(subprocess, "run", autospec=True) as run:
        stack.chromium_ensure(env)

    run.assert_not_called()
    assert "KOEL_CHROMIUM_MISSING" not in env


def test_chromium_missing_without_root_gives_the_reason_to_skip(tmp_path, monkeypatch):
    monkeypatch.setattr(stack.os, "geteuid", lambda: 1000)
    env = {"KOEL_CHROMIUM": str(tmp_path / "chromium")}

    with patch.object(subprocess, "run", autospec=True) as run:
        stack.chromium_ensure(env)

    run.assert_not_called()  # nothing to try without root
    assert env["KOEL_CHROMIUM_MISSING"] == (
        f"no Chromium at {tmp_path / 'chromium'}; as root run: apt-get install -y chromium"
    )


def test_chromium_missing_as_root_is_installed_with_apt(tmp_path, monkeypatch):
    executable = tmp_path / "chromium"
    monkeypatch.setattr(stack.os, "geteuid", lambda: 0)
    monkeypatch.setattr(stack.shutil, "which", lambda name: APT)

    def apt_get(command, **kwargs):
        executable.touch()  # what the package does: the browser appears
        return subprocess.CompletedProcess(command, 0)

    env = {"KOEL_CHROMIUM": str(executable)}
    with patch.object(subprocess, "run", autospec=True, side_effect=apt_get) as run:
        stack.chromium_ensure(env)

    assert run.call_args.args[0] == [
        APT, "install", "-y", "--no-install-recommends", "chromium"
    ]  # fmt: skip
    assert "KOEL_CHROMIUM_MISSING" not in env


def test_chromium_apt_failure_updates_the_index_then_reports(tmp_path, monkeypatch):
    monkeypatch.setattr(stack.os, "geteuid", lambda: 0)
    monkeypatch.setattr(stack.shutil, "which", lambda name: APT)
    failing = subprocess.CompletedProcess([], 100)
    env = {"KOEL_CHROMIUM": str(tmp_path / "chromium")}

    with patch.object(subprocess, "run", autospec=True, return_value=failing) as run:
        stack.chromium_ensure(env)

    steps = [c.args[0][:2] for c in run.call_args_list]
    assert steps == [[APT, "install"], [APT, "update"], [APT, "install"]]
    assert env["KOEL_CHROMIUM_MISSING"].startswith("apt-get could not install chromium")
