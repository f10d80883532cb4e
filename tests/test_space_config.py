"""The README's front matter is what configures a Hugging Face Space: it must start this app, with the
Gradio this project pins and a Python it runs on (a Space's default Python is older than ours)."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def front_matter() -> dict:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    assert match, "README.md must start with the Space's YAML front matter"
    return yaml.safe_load(match.group(1))


def test_front_matter_starts_this_app_with_the_pinned_gradio_and_a_python_it_runs_on() -> None:
    config = front_matter()
    assert config["sdk"] == "gradio" and (ROOT / config["app_file"]).is_file()
    pins = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    assert f"gradio=={config['sdk_version']}" in pins and version("gradio") == config["sdk_version"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    minimum = re.fullmatch(r">=\s*(\d+)\.(\d+)", project["requires-python"]).groups()
    assert tuple(int(n) for n in str(config["python_version"]).split(".")[:2]) >= tuple(int(n) for n in minimum)
