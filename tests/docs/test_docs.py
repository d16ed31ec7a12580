"""The documentation: every page reachable from the index, the CLI reference in sync with
the code, and every example run as it is written (Python, shell, TOML, Makefile)."""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)


def blocks(path: Path, language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(path.read_text()) if lang == language]


def cli_reference():
    spec = importlib.util.spec_from_file_location(
        "make_cli_reference", DOCS / "make_cli_reference.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_page_is_linked_from_the_index_and_the_readme_links_the_index():
    index = (DOCS / "index.md").read_text()
    for page in PAGES:
        if page.name != "index.md":
            assert f"]({page.name})" in index, f"docs/index.md does not link {page.name}"
    readme = (ROOT / "README.md").read_text()
    assert "](docs/index.md)" in readme


@pytest.mark.parametrize("page", [ROOT / "README.md", *PAGES], ids=lambda p: p.name)
def test_relative_links_and_images_exist(page):
    text = FENCE.sub("", page.read_text())
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if "://" in target:
            continue
        assert (page.parent / target).exists(), f"{page.name} links a missing {target}"


def test_readme_first_screen_says_what_install_and_quick_start():
    first = "\n".join((ROOT / "README.md").read_text().splitlines()[:40])
    for words in ("mixup", "make demo", "make test", "mixsynth generate", "mixsynth compare",
                  "verdict", "docs/report.png"):  # fmt: skip
        assert words in first, words


def test_cli_reference_is_generated_from_the_help():
    module = cli_reference()
    assert (DOCS / "cli.md").read_text() == module.reference(), (
        "docs/cli.md is out of date: run python docs/make_cli_reference.py"
    )


def test_every_command_has_help_and_a_section_in_the_reference():
    import typer

    from mixsynth.cli import app

    text = (DOCS / "cli.md").read_text()
    commands = typer.main.get_command(app).commands
    assert set(commands) >= {"generate", "compare", "weights", "inspect", "plot"}
    for name, command in commands.items():
        assert (command.help or "").strip(), f"{name} has no help text"
        assert f"## `mixsynth {name}`" in text
        for param in command.params:
            if getattr(param, "help", None) is None and param.param_type_name == "option":
                pytest.fail(f"{name} {param.opts[0]} has no help text")


@pytest.fixture
def workdir(tmp_path) -> Path:
    """A folder that looks like the repository root to an example."""
    (tmp_path / "sample_data").symlink_to(ROOT / "sample_data")
    return tmp_path


def environment() -> dict:
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


PYTHON_PAGES = [p for p in [ROOT / "README.md", *PAGES] if blocks(p, "python")]
SHELL_PAGES = [
    p
    for p in [ROOT / "README.md", *PAGES]
    if any(b.startswith("mixsynth") for b in blocks(p, "sh"))
]


@pytest.mark.parametrize("page", PYTHON_PAGES, ids=lambda p: p.name)
def test_python_examples_run(page, workdir):
    for code in blocks(page, "python"):
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=workdir, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, f"{page.name}:\n{code}\n{done.stderr}"


def commands(script: str) -> list[str]:
    """The block's commands, continuation lines joined, comments dropped."""
    joined = script.replace("\\\n", " ")
    return [line.split("  #")[0].strip() for line in joined.splitlines() if line.strip()]


@pytest.mark.parametrize("page", SHELL_PAGES, ids=lambda p: p.name)
def test_shell_examples_run(page, workdir, monkeypatch):
    """Every ```sh block that starts with mixsynth, in order, in one folder. A plain
    command runs in-process (the suite's time is shared); one with a pipe or a
    redirection runs in bash, as written."""
    from typer.testing import CliRunner

    from mixsynth.cli import app

    monkeypatch.chdir(workdir)
    for script in blocks(page, "sh"):
        if not script.startswith("mixsynth"):
            continue
        for command in commands(script):
            if re.search(r"[|<>;&$]", command):
                done = subprocess.run(["bash", "-e", "-c", command], capture_output=True,
                                      text=True, env=environment(), timeout=300)  # fmt: skip
                assert done.returncode == 0, f"{page.name}: {command}\n{done.stderr}"
                continue
            words = shlex.split(command)
            assert words[0] == "mixsynth", command
            result = CliRunner().invoke(app, words[1:])
            assert result.exit_code == 0, f"{page.name}: {command}\n{result.stderr}"


def test_toml_examples_are_valid_configs(tmp_path):
    from mixsynth.report.thresholds import load_config, thresholds_from

    examples = [b for page in PAGES for b in blocks(page, "toml")]
    assert examples
    for text in examples:
        path = tmp_path / "gate.toml"
        path.write_text(text)
        thresholds = thresholds_from(load_config(path), {})
        assert thresholds.user_set() or thresholds.columns


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize("delete_on_error", [True, False])
def test_makefile_gate_stays_failed_on_the_second_make(workdir, delete_on_error):
    (makefile,) = blocks(DOCS / "report.md", "make")
    if not delete_on_error:  # the same recipe without it: the second make is fooled
        makefile = makefile.replace(".DELETE_ON_ERROR:\n", "")
    (workdir / "Makefile").write_text(makefile)
    (workdir / "gate.toml").write_text("[thresholds]\nmin_column_shapes = 0.999\n")

    def make() -> subprocess.CompletedProcess:
        return subprocess.run(["make", "report.json"], cwd=workdir, capture_output=True,
                              text=True, env=environment(), timeout=300)  # fmt: skip

    first = make()
    assert first.returncode != 0 and "Threshold broken" in first.stderr
    second = make()
    if delete_on_error:
        assert second.returncode != 0 and "Threshold broken" in second.stderr
        assert not (workdir / "report.json").exists()
    else:
        assert second.returncode == 0 and "up to date" in second.stdout
