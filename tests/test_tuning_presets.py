"""Named presets saved to and loaded from a JSON file."""

from __future__ import annotations

import pytest

from playground.tuning.presets import PresetError, PresetStore
from playground.tuning.settings import RunSettings


def test_save_load_list_delete(tmp_path):
    store = PresetStore(tmp_path / "p" / "presets.json")
    assert store.names() == []
    precise = RunSettings(model="claude-haiku-4-5", temperature=0.1, stop=("END",))
    store.save("precise", precise)
    store.save("wild one", RunSettings(temperature=1.0, top_k=500))
    assert store.names() == ["precise", "wild one"]
    assert PresetStore(store.path).load("precise") == precise  # survives a new instance (on disk)
    store.save("precise", RunSettings(temperature=0.2))  # overwrite
    assert store.load("precise").temperature == 0.2
    store.delete("precise")
    assert store.names() == ["wild one"]
    with pytest.raises(PresetError, match="no preset named 'precise'.*wild one"):
        store.load("precise")


def test_bad_names_and_files(tmp_path):
    store = PresetStore(tmp_path / "presets.json")
    for bad in ("", "a/b", "x" * 65):
        with pytest.raises(PresetError, match="not valid"):
            store.save(bad, RunSettings())
    store.path.write_text("{not json")
    with pytest.raises(PresetError, match="cannot read presets file"):
        store.names()


def test_default_path_follows_history(tmp_path, monkeypatch):
    from playground.tuning.presets import default_presets_path
    monkeypatch.delenv("PLAYGROUND_PRESETS_PATH", raising=False)
    monkeypatch.setenv("PLAYGROUND_HISTORY_PATH", str(tmp_path / "h.db"))
    assert default_presets_path() == tmp_path / "presets.json"
