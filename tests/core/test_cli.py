"""The jiannuo command, as an operator runs it (issue 2)."""

import json
import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

JIANNUO = [sys.executable, "-m", "jiannuo.cli"]


def _env(**extra):
    env = {
        k: v
        for k, v in os.environ.items()
        # An operator's shell: none of the test run's own settings leak into the command.
        if k
        not in (
            "DATABASE_URL",
            "JIANNUO_ENV",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "AUDIT_KEY",
            "JIANNUO_DATA_DIR",
        )
    }
    env.update(extra)
    return env


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_serves_a_chinese_home_page_and_the_openapi_document(tmp_path):
    port = _free_port()
    data = tmp_path / "some" / "new" / "dir"
    proc = subprocess.Popen(
        [*JIANNUO, "demo", "--port", str(port), "--data-dir", str(data)],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                home = urllib.request.urlopen(base + "/", timeout=2).read().decode()
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise AssertionError("the demo server did not start")
        assert '<html lang="zh-hans">' in home
        assert "柳树村" in home
        api = urllib.request.urlopen(base + "/api/v1/openapi.json", timeout=5).read().decode()
        assert '"openapi": "3.' in api
        assert (data / "jiannuo.sqlite3").exists()
        _a_phone_ballot_through_the_served_application(base, data / "jiannuo.sqlite3")
    finally:
        proc.terminate()
        out = proc.communicate(timeout=20)[0]
    assert "liushu_sec" in out and "jiannuo2026" in out


def _a_phone_ballot_through_the_served_application(base, db):
    """The demo's open 2026 phone round takes one sheet per code through the served WSGI
    application (the ballot lane, jiannuo/evaluation/intake.py), and refuses the code again."""
    # The database keeps only digests of the codes: the demo leaves its unspent "slips" in a file.
    round_id, code = (db.parent / "demo-voting-codes.txt").read_text().split("\n")[0].split()
    with sqlite3.connect(db) as conn:
        targets = [t for (t,) in conn.execute(
            "SELECT id FROM evaluation_target WHERE round_id = ?", [round_id]
        )]  # fmt: skip
        before = conn.execute("SELECT count(*) FROM evaluation_ballot").fetchone()[0]
    body = json.dumps({"code": code, "choices": {str(t): "satisfied" for t in targets}})
    url = f"{base}/api/v1/evaluation/rounds/{round_id}/ballots"
    request = urllib.request.Request(
        url, body.encode(), {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=5) as answer:
        assert answer.status == 201
    try:
        urllib.request.urlopen(request, timeout=5)
        raise AssertionError("a used code was accepted")
    except urllib.error.HTTPError as refused:
        assert refused.code == 400
        assert json.loads(refused.read())["code"] == "code_used"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM evaluation_ballot").fetchone()[0] == before + 1


def test_audit_verify_passes_then_names_an_edited_entry(tmp_path):
    env = _env(JIANNUO_DATA_DIR=str(tmp_path))
    subprocess.run([*JIANNUO, "migrate", "-v0"], env=env, check=True)
    load = "import django;django.setup();from jiannuo.demo import load;load()"
    subprocess.run(
        [sys.executable, "-c", load],
        check=True,
        env={**env, "DJANGO_SETTINGS_MODULE": "jiannuo.settings"},
    )
    ok = subprocess.run([*JIANNUO, "audit", "verify"], env=env, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "OK" in ok.stdout
    import sqlite3

    db = sqlite3.connect(Path(tmp_path) / "jiannuo.sqlite3")
    db.execute("UPDATE core_auditentry SET actor_label = 'mallory' WHERE id = 7")
    db.commit()
    db.close()
    bad = subprocess.run([*JIANNUO, "audit", "verify"], env=env, capture_output=True, text=True)
    assert bad.returncode != 0
    assert "#7" in bad.stderr


def test_doctor_says_what_to_fix(tmp_path):
    env = _env(JIANNUO_DATA_DIR=str(tmp_path))
    out = subprocess.run([*JIANNUO, "doctor"], env=env, capture_output=True, text=True)
    assert out.returncode == 1
    assert "not applied" in out.stdout and "jiannuo migrate" in out.stdout
    subprocess.run([*JIANNUO, "migrate", "-v0"], env=env, check=True)
    out = subprocess.run([*JIANNUO, "doctor"], env=env, capture_output=True, text=True)
    assert "[OK  ] migrations applied" in out.stdout
    assert "demo mode" in out.stdout


def test_production_settings_pass_check_deploy_without_warnings(tmp_path):
    env = _env(
        JIANNUO_DATA_DIR=str(tmp_path),
        JIANNUO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(60),
        AUDIT_KEY=secrets.token_urlsafe(48),
        ALLOWED_HOSTS="jiannuo.example.gov.cn",
    )
    out = subprocess.run(
        [*JIANNUO, "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = _env(JIANNUO_DATA_DIR=str(tmp_path), JIANNUO_ENV="production")
    out = subprocess.run([*JIANNUO, "check"], env=env, capture_output=True, text=True)
    assert out.returncode != 0
    assert "SECRET_KEY" in out.stderr


def test_production_refuses_to_start_without_an_audit_key(tmp_path):
    """The key sealing the audit log must come from outside the database and the data
    directory in production (issue #12)."""
    env = _env(
        JIANNUO_DATA_DIR=str(tmp_path),
        JIANNUO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(60),
    )
    out = subprocess.run([*JIANNUO, "check"], env=env, capture_output=True, text=True)
    assert out.returncode != 0
    assert "AUDIT_KEY" in out.stderr


def test_doctor_fails_in_production_without_a_public_address(tmp_path):
    """Issue #18: the QR code and URL printed on every original must be absolute; in production
    the public address is required and ``jiannuo doctor`` fails without it."""
    env = _env(
        JIANNUO_DATA_DIR=str(tmp_path),
        JIANNUO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(60),
        AUDIT_KEY=secrets.token_urlsafe(40),
        ALLOWED_HOSTS="jiannuo.example.gov.cn",
    )
    env.pop("PUBLIC_BASE_URL", None)
    subprocess.run([*JIANNUO, "migrate", "-v0"], env=env, check=True)
    out = subprocess.run([*JIANNUO, "doctor"], env=env, capture_output=True, text=True)
    assert out.returncode == 1
    assert "[FAIL] PUBLIC_BASE_URL is not set" in out.stdout
    env["PUBLIC_BASE_URL"] = "jiannuo.example.gov.cn"  # no scheme: a phone cannot open it
    out = subprocess.run([*JIANNUO, "doctor"], env=env, capture_output=True, text=True)
    assert "[FAIL] PUBLIC_BASE_URL 'jiannuo.example.gov.cn' is not an absolute" in out.stdout
    env["PUBLIC_BASE_URL"] = "https://jiannuo.example.gov.cn"
    out = subprocess.run([*JIANNUO, "doctor"], env=env, capture_output=True, text=True)
    assert "[OK  ] public address for printed links: https://jiannuo.example.gov.cn" in out.stdout
