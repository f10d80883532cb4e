"""The one configuration object: every variable by its pinned name, environment over ``.env``, bad
values named, keys out of the repr, read once by the app and installed for the module-level defaults."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from playground import config as app_config
from playground import store
from playground.config import Config, ConfigError, load_config, load_keys
from playground.tuning.presets import default_presets_path

ROOT = Path(__file__).resolve().parents[1]
EVERYTHING = {
    "ANTHROPIC_API_KEY": "sk-ant-env-0000", "ANTHROPIC_BASE_URL": "https://gw.example", "OPENAI_API_KEY": "sk-oa-1111",
    "OPENAI_BASE_URL": "https://llm.example/v1", "SPACE_ID": "someone/playground", "PLAYGROUND_CONCURRENCY": "8",
    "PLAYGROUND_TIMEOUT": "2.5", "PLAYGROUND_ALLOW_PRIVATE_HOSTS": "yes", "PLAYGROUND_EMULATOR_TPS": "0",
    "PLAYGROUND_EMULATOR_LATENCY_MS": "300", "PLAYGROUND_EMULATOR_SEED": "-7", "PLAYGROUND_HISTORY_PATH": "/srv/h.db",
    "PLAYGROUND_HISTORY_SCOPE": " Shared ", "PLAYGROUND_PRESETS_PATH": "/srv/p.json", "PLAYGROUND_SPEND_CAP_USD": "0",
}


def test_every_variable_is_read_into_its_field() -> None:
    assert set(EVERYTHING) <= set(app_config.VARIABLES)
    c = load_config(EVERYTHING, None)
    assert (c.anthropic_api_key, c.anthropic_api_base, c.openai_api_key, c.openai_base_url) == (
        "sk-ant-env-0000", "https://gw.example/v1", "sk-oa-1111", "https://llm.example/v1")
    assert c.hosted and c.space_id == "someone/playground"
    assert (c.concurrency, c.timeout, c.allow_private_hosts) == (8, 2.5, True)
    assert c.emulator_options() == {"tokens_per_second": 0.0, "latency_ms": 300.0, "seed": -7}
    assert (c.history_path, c.history_scope, c.presets_path, c.spend_cap_usd) == (
        Path("/srv/h.db"), "shared", Path("/srv/p.json"), 0.0)
    assert "sk-" not in repr(c) and "https://llm.example/v1" in repr(c)


def test_defaults_locally_and_on_a_space(tmp_path: Path) -> None:
    local = load_config({"XDG_DATA_HOME": str(tmp_path)}, None)
    assert local == Config(history_path=tmp_path / "anthropic-playground" / "history.sqlite3")
    assert (local.concurrency, local.timeout, local.spend_cap_usd, local.emulator_options()) == (
        32, None, 1.0, {"tokens_per_second": 80.0, "latency_ms": 0.0})
    assert local.allow_private_hosts and local.history_scope == "shared" and not local.hosted
    hosted = load_config({"SPACE_ID": "someone/playground", "PLAYGROUND_ALLOW_PRIVATE_HOSTS": ""}, None)
    assert not hosted.allow_private_hosts and hosted.history_scope == "session"  # an empty value is unset


def test_the_environment_wins_over_dotenv(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("ANTHROPIC_API_KEY=sk-from-dotenv\nPLAYGROUND_TIMEOUT=9\nPLAYGROUND_HISTORY_PATH=/d/h.db\n")
    c = load_config({"PLAYGROUND_TIMEOUT": "3"}, dotenv)
    assert (c.anthropic_api_key, c.timeout, c.history_path) == ("sk-from-dotenv", 3.0, Path("/d/h.db"))
    assert load_config({}, tmp_path / "missing.env").anthropic_api_key is None


@pytest.mark.parametrize(("variable", "bad"), [
    ("PLAYGROUND_CONCURRENCY", "many"), ("PLAYGROUND_CONCURRENCY", "0"), ("PLAYGROUND_TIMEOUT", "soon"),
    ("PLAYGROUND_TIMEOUT", "-1"), ("PLAYGROUND_TIMEOUT", "nan"), ("PLAYGROUND_ALLOW_PRIVATE_HOSTS", "maybe"),
    ("PLAYGROUND_EMULATOR_TPS", "fast"), ("PLAYGROUND_EMULATOR_TPS", "-5"), ("PLAYGROUND_EMULATOR_LATENCY_MS", "x"),
    ("PLAYGROUND_EMULATOR_BATCH_DELAY_MS", "-3"), ("PLAYGROUND_EMULATOR_BATCH_DELAY_MS", "slow"),
    ("PLAYGROUND_EMULATOR_SEED", "1.5"), ("PLAYGROUND_SPEND_CAP_USD", "lots"), ("PLAYGROUND_SPEND_CAP_USD", "-1"),
])
def test_a_bad_value_is_named(variable: str, bad: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config({variable: bad}, None)
    assert err.value.param == variable and repr(bad) in str(err.value)


def test_the_offline_batch_delay_goes_to_the_emulator() -> None:
    assert load_config({"PLAYGROUND_EMULATOR_BATCH_DELAY_MS": "250"}, None).emulator_options()["batch_delay_ms"] == 250
    assert "batch_delay_ms" not in load_config({}, None).emulator_options()  # the emulator's own default: 0


def test_a_history_scope_typo_means_the_private_scope(monkeypatch, caplog) -> None:
    monkeypatch.setattr(app_config, "_warned_scopes", set())
    with caplog.at_level("WARNING", logger="playground.config"):
        assert load_config({"PLAYGROUND_HISTORY_SCOPE": "sesion"}, None).history_scope == "session"
    assert "PLAYGROUND_HISTORY_SCOPE='sesion'" in caplog.text


def test_providers_fallback_reads_only_the_keys() -> None:
    keys = load_keys({"ANTHROPIC_API_KEY": "sk-ant-env-0000", "PLAYGROUND_TIMEOUT": "soon"}, None)
    assert keys.anthropic_api_key == "sk-ant-env-0000" and keys.timeout is None  # a bad app setting is not its business


def test_the_installed_configuration_is_what_module_defaults_read(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PLAYGROUND_HISTORY_PATH", str(tmp_path / "env.db"))
    monkeypatch.delenv("PLAYGROUND_PRESETS_PATH", raising=False)
    assert store.default_path() == tmp_path / "env.db"  # nothing installed: the environment now
    app_config.install(Config(history_path=tmp_path / "app" / "h.db", history_scope="session", space_id="s/p"))
    monkeypatch.setenv("PLAYGROUND_HISTORY_PATH", str(tmp_path / "later.db"))  # read once: a later change is not seen
    assert store.default_path() == tmp_path / "app" / "h.db"
    assert store.history_scope() == "session" and store.is_ephemeral()
    assert default_presets_path() == tmp_path / "app" / "presets.json"


@pytest.mark.slow
def test_the_app_refuses_to_start_naming_the_bad_variable(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "PLAYGROUND_TIMEOUT": "soon", "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, str(ROOT / "app.py")], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1
    assert "Configuration error: PLAYGROUND_TIMEOUT: expected a positive number of seconds, got 'soon'." in done.stderr
    assert "Traceback" not in done.stderr
