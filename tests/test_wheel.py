"""The installed package works anywhere: build the wheel, install it into a fresh virtual
environment, and run the README's commands from a directory outside the checkout.

pytest puts the checkout on ``sys.path``, so every other test would pass even if a data file the
code reads (the grammar, the catalog) were missing from the wheel. This test is the user's path:
nothing here imports from the checkout.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _source_files() -> list[str]:
    """What a clean clone holds: tracked files plus untracked ones git does not ignore."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return [f for f in listed if (ROOT / f).is_file()]


def _build_wheel(tmp: Path) -> Path:
    source = tmp / "source"
    for name in _source_files():
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    dist = tmp / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(source)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = dist.glob("chainrule-*.whl")
    return wheel


def _fresh_venv(tmp: Path, wheel: Path) -> Path:
    """A new environment holding only the wheel; its dependencies come from this interpreter's
    site-packages, appended *after* the new environment's own, so the wheel's copy wins."""
    env_dir = tmp / "venv"
    venv.create(env_dir, with_pip=False, clear=True)
    py = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(py),
            "install",
            "-q",
            "--no-deps",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=600,
        # Without PYTHONPATH: a checkout on it may hold a chainrule.egg-info (the Gradescope
        # bundle test builds a wheel in place), and pip would take that for an installed
        # chainrule and install nothing.
        env={k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}},
    )
    # Only now the dependencies: were they visible first, pip would find this interpreter's own
    # chainrule among them and install nothing (as it did in CI).
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(purelib, "_chainrule_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    return env_dir


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("wheel")
    env_dir = _fresh_venv(tmp, _build_wheel(tmp))
    outside = tmp / "elsewhere"
    outside.mkdir()
    return env_dir, outside


def _env(env_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(env_dir)
    return env


def _run(
    args: list[str], env_dir: Path, cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=_env(env_dir), capture_output=True, text=True, input=stdin, timeout=300
    )


def test_the_package_is_imported_from_the_fresh_environment(installed: tuple[Path, Path]) -> None:
    env_dir, outside = installed
    done = _run(
        [str(env_dir / "bin" / "python"), "-c", "import derivations; print(derivations.__file__)"],
        env_dir,
        outside,
    )
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).is_relative_to(env_dir), done.stdout


def _readme_block(section: str, language: str) -> list[str]:
    body = README.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)\n```", body, re.S)


def _cli_examples() -> list[str]:
    """Every ``chainrule …`` line of the README's command-line block, comments stripped."""
    blocks = _readme_block("Python and the command line", "bash")
    lines = [line.split("  #")[0].strip() for b in blocks for line in b.splitlines()]
    return [line for line in lines if line.startswith("chainrule ")]


def test_readme_lists_cli_examples() -> None:
    assert len(_cli_examples()) >= 6


@pytest.mark.parametrize("command", _cli_examples())
def test_readme_cli_example_works_outside_the_checkout(
    installed: tuple[Path, Path], command: str
) -> None:
    env_dir, outside = installed
    done = _run(shlex.split(command), env_dir, outside)
    assert done.returncode == 0, f"{command}\n{done.stderr}"
    assert done.stdout.strip(), command


def test_readme_python_example_works_outside_the_checkout(installed: tuple[Path, Path]) -> None:
    env_dir, outside = installed
    (snippet,) = _readme_block("Python and the command line", "python")
    checked = re.sub(r"^(r\.to_dict\(\).*?)\s+#\s*(.+)$", r"assert \1 == \2", snippet, flags=re.M)
    assert checked.count("assert ") >= 2, "the README snippet should show its results"
    done = _run([str(env_dir / "bin" / "python"), "-"], env_dir, outside, stdin=checked)
    assert done.returncode == 0, done.stderr
    assert "def value_and_grad" in done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _curl_examples() -> list[tuple[str, dict | None]]:
    """The README's curl calls as (path, JSON body or None)."""
    quick = _readme_block("Quick start", "bash")
    calls = []
    for block in quick:
        for path, body in re.findall(
            r"curl -s localhost:8000(\S+)(?: -H '[^']*' -d '(.*?)')?", block, re.S
        ):
            calls.append((path, json.loads(body) if body else None))
    return calls


def _request(port: int, path: str, body: dict | None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=data, headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=120) as resp:
        return resp.status, resp.read()


def _wait_until_up(port: int, proc: subprocess.Popen[str]) -> None:
    for _ in range(600):  # a bound in attempts; each waits at most 0.1 s between tries
        if proc.poll() is not None:
            raise AssertionError(
                f"chainrule serve exited: {proc.stderr.read() if proc.stderr else ''}"
            )
        try:
            if _request(port, "/healthz", None)[0] == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("chainrule serve did not answer /healthz")


def test_readme_service_examples_work_outside_the_checkout(installed: tuple[Path, Path]) -> None:
    env_dir, outside = installed
    calls = _curl_examples()
    assert any(path == "/v1/derive" for path, _ in calls)
    port = _free_port()
    proc = subprocess.Popen(
        ["chainrule", "serve", "--port", str(port), "--workers", "1"],
        cwd=outside,
        env=_env(env_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_until_up(port, proc)
        for path, body in calls:
            status, payload = _request(port, path, body)
            assert status == 200, (path, payload[:500])
            if path == "/v1/derive":
                result = json.loads(payload)
                assert result["verification"]["passed"], result["verification"]
                assert result["derivatives"][0]["latex"] == "\\delta x^{T}"
    finally:
        proc.terminate()
        try:
            out, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    assert f"http://127.0.0.1:{port}" in out, "chainrule serve should print the URL it serves"
