"""No secret in the repository or the image (reliability/run_secrets_scan.py): the tracked files
hold none, the build context leaves out .env and var/, the image runs as a non-root user — and
the scan does find each kind of secret it looks for, planted in a text."""

import shutil
import subprocess

import pytest

from reliability.run_secrets_scan import ROOT, image_findings, scan_files, scan_text, tracked_files

# Assembled here so that this file itself holds none of them whole.
PLANTED = {
    "private key": "-----BEGIN RSA " + "PRIVATE KEY-----",
    "AWS access key": "aws_id = AKIA" + "Q" * 16,
    "GitHub token": "ghp_" + "a1B2" * 9,
    "Slack webhook": "https://hooks.slack.com/services/" + "T0123ABCD/B0123ABCD/abcdEFGHijkl",
    "credentials in a URL": "DATABASE_URL=postgres://koel:" + "Xq81vLmPz3@db.internal:5432/koel",
    "secret assigned": 'SECRET_KEY = "' + "k3Jd9sLqP0zXw7RtYv2N" + '"',
}


def test_the_repository_holds_no_secret():
    assert scan_files(tracked_files()) == []


def test_the_image_leaves_out_local_secrets_and_runs_as_a_user():
    assert image_findings() == []


@pytest.mark.parametrize(("what", "line"), PLANTED.items())
def test_each_kind_of_secret_is_found(what, line):
    assert scan_text("planted.txt", f"x\n{line}\n") == [f"planted.txt:2: {what}"]


@pytest.mark.parametrize(
    "line",
    [
        "EMAIL_URL=smtp+tls://user:password@smtp.example.com:587",
        "postgres://koel:${POSTGRES_PASSWORD}@db:5432/koel",
        'PASSWORD = "a-long-test-password-1"  # noqa: S105',
        'api_key_setting="KOEL_FRED_API_KEY"',
    ],
)
def test_placeholders_are_not_secrets(line):
    assert scan_text("docs.md", line) == []


def test_the_image_check_finds_a_root_user_and_a_baked_secret(tmp_path):
    shutil.copy(ROOT / ".dockerignore", tmp_path / ".dockerignore")
    dockerfile = (ROOT / "Dockerfile").read_text().replace("USER 10001:10001", "USER root")
    (tmp_path / "Dockerfile").write_text(dockerfile + "\nENV SECRET_KEY=abc\n")

    assert image_findings(tmp_path) == [
        "Dockerfile: a secret in the image's environment",
        "Dockerfile: the image runs as root",
    ]


DOCKER = shutil.which("docker")


@pytest.mark.skipif(DOCKER is None, reason="no docker client")
def test_the_compose_file_validates_where_docker_compose_is_there():
    # The client is there on the development host, without the compose plugin or an engine.
    if subprocess.run([DOCKER, "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("docker has no compose plugin here")
    result = subprocess.run(
        [DOCKER, "compose", "--env-file", str(ROOT / ".env.example"), "config", "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
