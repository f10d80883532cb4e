"""Sweep grid parsing and expansion."""

from __future__ import annotations

import pytest

from playground.tuning.grid import Axis, GridError, expand, format_value, parse_axis


def test_list_range_and_points():
    assert parse_axis("temperature", "0.2, 0.7,1").values == (0.2, 0.7, 1.0)
    assert parse_axis("temperature", "0:1:0.25").values == (0.0, 0.25, 0.5, 0.75, 1.0)
    assert parse_axis("top_p", "0..1 x3").values == (0.0, 0.5, 1.0)
    assert parse_axis("temperature", "0:0.3:0.1").values == (0.0, 0.1, 0.2, 0.3)  # float noise rounded
    assert parse_axis("max_tokens", "16:64:16").values == (16, 32, 48, 64)
    assert all(isinstance(v, int) for v in parse_axis("top_k", "1, 5, 40").values)


def test_models_stops_and_duplicates():
    assert parse_axis("model", "tiny, claude-haiku-4-5").values == ("playground-tiny", "claude-haiku-4-5")
    assert parse_axis("stop", r"\n\n | END, STOP | none").values == (("\n\n",), ("END", "STOP"), ())
    assert parse_axis("stop", '[["a|b"], []]').values == (("a|b",), ())
    assert parse_axis("temperature", "0.5, 0.5, 1").values == (0.5, 1.0)


@pytest.mark.parametrize("param,text,match", [
    ("temperature", "1.5", "outside 0..1"),
    ("top_k", "2.5", "not a whole number"),
    ("max_tokens", "0", "below the minimum 1"),
    ("temperature", "hot", "cannot read 'hot'"),
    ("temperature", "1:0:0.1", "ends before it starts"),
    ("temperature", "0:1:0", "must be positive"),
    ("temperature", "0:1:0.001", "limit is 50"),
    ("seed", "1", "cannot sweep 'seed'"),
    ("top_p", "  ", "at least one value"),
    ("stop", "a,,b", "empty stop sequence"),
    ("stop", "[1, 2]", "list of lists"),
])
def test_bad_values_say_what_and_how(param, text, match):
    with pytest.raises(GridError, match=match):
        parse_axis(param, text)


def test_expand_two_axes_with_repeats():
    cells = expand([parse_axis("temperature", "0, 0.5, 1"), parse_axis("top_k", "5, 50")], repeats=2)
    assert len(cells) == 12
    assert [c.index for c in cells] == list(range(12))
    assert cells[0].values == {"temperature": 0.0, "top_k": 5} and cells[0].repeat == 0
    assert cells[1].values == cells[0].values and cells[1].repeat == 1
    assert cells[2].values == {"temperature": 0.0, "top_k": 50}
    assert len({c.key for c in cells}) == 6


def test_expand_limits():
    t = parse_axis("temperature", "0, 1")
    with pytest.raises(GridError, match="one or two"):
        expand([t, t, t])
    with pytest.raises(GridError, match="same parameter once"):
        expand([t, t])
    with pytest.raises(GridError, match="repeats"):
        expand([t], repeats=0)
    with pytest.raises(GridError, match="the sweep has 7500 requests; the limit is 5000"):
        expand([Axis("temperature", tuple(range(50))), Axis("top_k", tuple(range(50)))], repeats=3)
    assert len(expand([Axis("temperature", tuple(range(50))), Axis("top_k", tuple(range(50)))], repeats=2)) == 5000
    stop_cells = expand([parse_axis("stop", "END | none")])
    assert stop_cells[0].values == {"stop": ["END"]} and stop_cells[1].values == {"stop": []}


def test_format_value():
    assert format_value("temperature", 0.5) == "0.5"
    assert format_value("stop", ["\n", "END"]) == "\\n | END"
    assert format_value("stop", []) == "none"
