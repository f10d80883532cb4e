"""The Evaluate tab without a browser: summary rows against a hand-computed example, the matrix marks
and filters, the TOML form actions, the HTML report, and the handlers running a spec against the
offline emulator (History row, grading, stop and resume)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from playground import store
from playground.backends import Backends
from playground.config import Config
from playground.evals import Attempt, SpecError, parse_spec, summarize
from playground.settings import FIELDS, RunSettings
from playground.ui.context import UIContext
from playground.ui.session import Session
from playground.ui.tuning import evaluate as ev
from playground.ui.tuning import evaluate_runs as runs
from playground.ui.tuning import evaluate_spec as form
from playground.ui.tuning import evaluate_view as view

SPEC = """
[eval]
name = "hand"
repeats = 2
baseline = "b"
[[variants]]
id = "b"
prompt = "Say {{w}}"
[[variants]]
id = "c"
prompt = "Please say {{w}}"
[[cases]]
_id = "a1"
w = "one"
[[cases]]
_id = "a2"
w = "two"
[[cases]]
_id = "a3"
w = "three"
[[cases]]
_id = "a4"
w = "four"
[[asserts]]
type = "contains"
value = "{{w}}"
"""
# (variant, case) -> the two repeats' scores; None is an errored attempt.
SCORES = {
    ("b", "a1"): [1, 1], ("b", "a2"): [1, 0], ("b", "a3"): [0, 0], ("b", "a4"): [1, 1],
    ("c", "a1"): [1, 1], ("c", "a2"): [1, 1], ("c", "a3"): [1, 0], ("c", "a4"): [1, None],
}


def hand_summary() -> Any:
    spec = parse_spec(SPEC)
    attempts = []
    latency = 10.0
    for (variant, case), scores in SCORES.items():
        for r, s in enumerate(scores):
            a = Attempt(variant, case, r, {"w": case}, "p", output=f"out {variant} {case} {r}", latency_ms=latency,
                        cost_usd=0.001, input_tokens=5, output_tokens=3)
            latency += 10
            if s is None:
                a.error = "APIError: boom"
            else:
                a.score, a.passed = float(s), bool(s)
            attempts.append(a)
    return summarize(spec, attempts)


# -- the summary ----------------------------------------------------------------------------------------
def test_summary_rows_match_the_hand_computed_statistics() -> None:
    rows = {r[0]: dict(zip(view.SUMMARY_COLUMNS, r, strict=True)) for r in view.summary_rows(hand_summary())}
    b, c = rows["b"], rows["c"]
    # b's case means 1, .5, 0, 1: mean .625, sd .4787, SE .2394, t(.975, 3) = 3.1824 -> ± .7617
    assert b["mean [95% CI]"] == "0.625 [-0.137, 1.387]"
    assert b["cases × repeats"] == "4 × 2"
    # 5/8 passed; clustered by case: design effect 1.956 -> Wilson at n_eff 4.09: [.222, .907]
    assert b["pass rate [95% CI]"] == "62% [22%, 91%]"
    assert b["Δ vs baseline [95% CI]"] == "(baseline)" and b["W/T/L"] == ""
    assert b["flaky"] == "1"  # a2
    assert b["p50 latency ms"] == "45"  # 10..80 ms: the median of eight is (40 + 50) / 2
    assert b["tokens in / out"] == "40 / 24" and b["cost $"] == "0.0080" and b["errors"] == "0"
    # c's case means 1, 1, .5, 1 (a4's errored repeat left out): diffs 0, .5, .5, 0 -> +.25 ± 3.1824 * .1443
    assert c["mean [95% CI]"].startswith("0.875 ")
    assert c["Δ vs baseline [95% CI]"] == "+0.250 [-0.209, +0.709]"
    assert c["W/T/L"] == "2/2/0"
    assert c["p"] == "0.5"  # exact sign test: 2 wins, no loss -> 2 * (1/2)^2
    assert c["verdict"] == "no detectable difference"
    assert c["errors"] == "1" and c["flaky"] == "1"
    assert c["pass rate [95% CI]"].startswith("86% ")  # 6 of the 7 scored attempts
    notes = view.summary_notes(hand_summary())
    assert any(n.startswith("c: with 4 shared cases") for n in notes)


def test_matrix_marks_one_per_repeat_and_filters() -> None:
    summary = hand_summary()
    frame = view.matrix_frame(summary)
    cells = {(r["case"], v): r[v] for r in frame.to_dict("records") for v in ("b", "c")}
    assert list(frame.columns) == ["case", "b", "c"]
    assert cells[("a1", "b")] == "1.00 ✓✓"
    assert cells[("a2", "b")] == "0.50 ✓✗"
    assert cells[("a3", "b")] == "0.00 ✗✗"
    assert cells[("a4", "c")] == "1.00 ✓⚠"

    def shown(**kw: Any) -> list[str]:
        return list(view.matrix_frame(summary, view.MatrixFilter(**kw))["case"])

    assert shown(errors=True) == ["a4"]
    assert shown(flaky=True) == ["a2", "a3"]
    assert shown(failures=True) == ["a2", "a3"]  # a case fails when a repeat failed (no threshold)
    assert shown(differs=True) == ["a2", "a3"]
    assert shown(text="OUT C A3") == ["a3"]  # outputs are searched, case-insensitively
    assert view.MatrixFilter.from_form(["flaky", "errors"], " x ") == view.MatrixFilter(flaky=True, errors=True,
                                                                                        text="x")


def test_cell_detail_escapes_outputs_and_shows_reasons() -> None:
    summary = hand_summary()
    summary.attempts[0].output = "<script>alert(1)</script>"
    summary.attempts[0].asserts = [{"type": "contains", "score": 1.0, "pass": True, "reason": "found <one>"}]
    page = view.cell_html(summary, "b", "a1")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "found &lt;one&gt;" in page and "Repeat 2" in page


def test_html_report_is_self_contained_and_holds_the_numbers() -> None:
    page = view.report_html(hand_summary())
    assert page.startswith("<!DOCTYPE html>")
    for text in ("0.625 [-0.137, 1.387]", "+0.250 [-0.209, +0.709]", "2/2/0", "0.50 ✓✗", "1.00 ✓⚠", "<svg"):
        assert text in page, text
    assert "src=" not in page and "<link" not in page and "<script" not in page


# -- the TOML form ----------------------------------------------------------------------------------------
def test_toml_values_round_trip() -> None:
    import tomllib

    table = {"s": 'a "q" \\ \n\t\x7f é', "i": 3, "f": 0.25, "b": True, "l": ["x", 1], "d": {"k": [1, {"z": "y"}]},
             "odd key": "v"}
    text = form.toml_table("t", table)
    assert tomllib.loads(text) == {"t": [table]}


def test_add_variant_holds_the_settings_exactly_and_keeps_comments() -> None:
    text = "# my eval\n" + form.EXAMPLE_SPEC
    settings = RunSettings(model="claude-haiku-4-5", temperature=0.3, max_tokens=100)
    out = form.add_variant(text, settings)
    assert out.startswith("# my eval\n")
    spec = parse_spec(out)
    v3 = spec.variant("v3")
    assert v3.prompt == spec.variant("v1").prompt  # blank prompt: the baseline's
    assert v3.settings["temperature"] == 0.3 and v3.settings["max_tokens"] == 100
    assert v3.settings["system"] == ""  # [defaults] sets a system prompt; these settings have none
    with pytest.raises(SpecError, match="'v1' is already used"):
        form.add_variant(text, settings, "v1")
    with pytest.raises(SpecError, match="not valid TOML"):
        form.add_variant("[eval", settings)


def test_add_assert_parses_the_value_by_type() -> None:
    out = form.add_assert(form.EXAMPLE_SPEC, "contains_any", "Paris, Tokyo", 2)
    a = parse_spec(out).asserts[-1]
    assert (a.type, a.value, a.weight) == ("contains_any", ["Paris", "Tokyo"], 2.0)
    assert parse_spec(form.add_assert(form.EXAMPLE_SPEC, "max_chars", "40")).asserts[-1].value == 40
    assert parse_spec(form.add_assert(form.EXAMPLE_SPEC, "human")).asserts[-1].type == "human"
    with pytest.raises(SpecError, match="is not a number"):
        form.add_assert(form.EXAMPLE_SPEC, "max_words", "twelve")
    with pytest.raises(SpecError, match="weight"):
        form.add_assert(form.EXAMPLE_SPEC, "contains", "x", -1)


def test_set_cases_replaces_the_dataset_and_keeps_the_rest() -> None:
    text = form.EXAMPLE_SPEC.replace("[[cases]]\n_id = \"fr\"", "# the cases\n[[cases]]\n_id = \"fr\"", 1)
    out = form.set_cases(text, [{"_id": "x", "country": "Peru", "_ideal": "Lima"}])
    spec = parse_spec(out)
    assert [c.id for c in spec.cases] == ["x"] and spec.cases[0].vars["country"] == "Peru"
    assert "[[asserts]]" in out and "max_cost_usd = 1.00" in out  # other tables keep their text
    with_dataset = text.split("[[cases]]")[0].replace("# the cases\n", "") + '[dataset]\npath = "cases.csv"\n'
    replaced = form.set_cases(with_dataset + form.EXAMPLE_SPEC.split("[[cases]]")[-1].split("\n", 4)[-1],
                              [{"country": "Chad", "_ideal": "N'Djamena"}])
    assert "[dataset]" not in replaced and parse_spec(replaced).cases[0].ideal == "N'Djamena"


def test_set_cases_is_not_fooled_by_a_header_inside_a_string() -> None:
    text = form.EXAMPLE_SPEC.replace('prompt = "What is the capital of {{country}}?"',
                                     'prompt = """\n[[cases]]\nWhat is the capital of {{country}}?"""')
    out = form.set_cases(text, [{"_id": "x", "country": "Peru", "_ideal": "Lima"}])
    spec = parse_spec(out)
    assert spec.variant("v1").prompt.startswith("[[cases]]\nWhat is") and [c.id for c in spec.cases] == ["x"]


def test_grid_rows_and_import(tmp_path: Path) -> None:
    frame = form.cases_frame(form.EXAMPLE_SPEC)
    assert list(frame.columns) == ["_id", "country", "_ideal"] and len(frame) == 3
    grown = form.add_row(frame)
    assert len(grown) == 4
    assert form.frame_rows(grown) == [{"_id": "fr", "country": "France", "_ideal": "Paris"},
                                      {"_id": "jp", "country": "Japan", "_ideal": "Tokyo"},
                                      {"_id": "ke", "country": "Kenya", "_ideal": "Nairobi"}]  # blank row left out
    csv_file = tmp_path / "cases.csv"
    csv_file.write_text("_id,country,_ideal\npe,Peru,Lima\ncl,Chile,Santiago\n", encoding="utf-8")
    handlers = ev.EvaluateHandlers(None)  # type: ignore[arg-type]
    out, note = handlers.import_file(form.EXAMPLE_SPEC, str(csv_file))
    assert note == "Imported 2 case(s) from cases.csv into the spec."
    assert [c.vars["country"] for c in parse_spec(out).cases] == ["Peru", "Chile"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"a": 1}\nnot json\n', encoding="utf-8")
    _, note = handlers.import_file(form.EXAMPLE_SPEC, str(bad))
    assert note.startswith("⚠️ dataset bad.jsonl: line 2 is not valid JSON")


def test_the_tab_reads_no_server_files() -> None:
    text = form.EXAMPLE_SPEC.split("[[cases]]")[0] + '[dataset]\npath = "/etc/passwd.csv"\n[[asserts]]\ntype="human"\n'
    with pytest.raises(SpecError, match="dataset.path: the Evaluate tab reads no files"):
        form.ui_spec(text)
    with pytest.raises(SpecError, match="prompt_file"):
        form.ui_spec(form.EXAMPLE_SPEC.replace('prompt = "What is', 'prompt_file = "x.txt"\n#', 1))


# -- the handlers against the offline emulator ---------------------------------------------------------------
@pytest.fixture
def ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("PLAYGROUND_HISTORY_PATH", str(tmp_path / "history.sqlite3"))
    monkeypatch.setenv("PLAYGROUND_HISTORY_SCOPE", "session")
    backends = Backends(Config(emulator_tps=0))
    yield UIContext(backends=backends, backend=None, api_key=None, model=None)
    backends.close()


def playground_values(**changes: Any) -> list[Any]:
    ui = RunSettings(**changes).to_ui()
    return [ui[k] for k in FIELDS]


async def drain(gen: Any) -> list[list[Any]]:
    return [out async for out in gen]


async def test_run_records_history_and_grades_a_cell(ctx: Any) -> None:
    from playground.tuning.cost import SpendCap

    handlers = ev.EvaluateHandlers(ctx)
    chat, cap = Session(), SpendCap(5.0)
    spec = form.add_assert(form.EXAMPLE_SPEC, "human")
    line, _ = handlers.check(spec, cap, "", *playground_values())
    assert line.startswith("**capitals**: 12 attempts, 12 calls (0 cached), typical $") and "(cap $1.00)" in line
    outs = await drain(handlers.run(spec, cap, chat, "", *playground_values()))
    final = outs[-1]
    status, rid = final[0], final[7]
    assert status.startswith("Done: 12/12 attempts of capitals") and "Kept in History as run #" in status
    summary = final[2]
    assert list(summary["variant"]) == ["v1", "v2"] and set(summary["cases × repeats"]) == {"3 × 2"}
    assert cap.spent_usd > 0  # booked on the session's budget
    # the History row: kind eval, found by the eval's name, never another session's
    rows = store.get_store().search("capitals", kind="eval", owner=chat.owner)
    assert len(rows) == 1 and rows[0].label == "eval capitals" and rid in rows[0].output
    assert store.get_store().search("capitals", kind="eval", owner=Session().owner) == []
    # a cell: its repeats and the diff against the baseline
    matrix = final[6]
    event = type("Evt", (), {"index": [0, 2]})()
    cell, detail, diff, *_ = handlers.select_cell(event, matrix, rid)
    assert cell == ("v2", matrix.iloc[0]["case"]) and "Repeat 2" in detail and diff
    views = handlers.grade(rid, cell, 2, 5, "spot on")
    assert views[-1].startswith("Graded repeat 2") and "spot on" in views[-2]
    graded = [a for a in runs.OPEN[rid].attempts.values() if a.human]
    assert [(a.variant, a.case, a.repeat, a.human) for a in graded] == [("v2", cell[1], 1, {"2": [5, "spot on"]})]
    assert handlers.grade(rid, cell, 2, 7, "")[-1].startswith("⚠️ a grade is a whole number from 1 to 5")
    # saved with the run: another process reopening the run directory sees the grade
    from playground.evals.runner import read_attempts

    kept = [a for a in read_attempts(runs.evals_dir() / "runs" / rid) if a.human]
    assert kept and kept[0].human == {"2": [5, "spot on"]}
    same = handlers.compare_runs(rid, rid, chat, "", *playground_values())  # a run against itself: all ties
    assert list(same["variant"]) == ["v1", "v2"] and set(same["W/T/L"]) == {"0/3/0"}
    files = handlers.export(rid)["value"]
    names = sorted(Path(f).name for f in files)
    assert names == ["capitals-attempts.csv", "capitals-cases.csv", "capitals-report.html", "capitals-results.json",
                     "capitals.toml"]
    data = json.loads(Path(next(f for f in files if f.endswith(".json"))).read_text(encoding="utf-8"))
    assert [v["id"] for v in data["variants"]] == ["v1", "v2"] and len(data["attempts"]) == 12


async def test_stop_then_resume_finishes_without_redoing(ctx: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from playground.tuning.cost import SpendCap

    handlers = ev.EvaluateHandlers(ctx)
    chat, cap = Session(), SpendCap(5.0)
    spec = form.EXAMPLE_SPEC.replace("repeats = 2", "repeats = 4").replace("seed = 7", "seed = 7\nconcurrency = 1")
    monkeypatch.setattr(ev, "REFRESH_S", 0.0)  # a refresh per finished attempt
    gen = handlers.run(spec, cap, chat, "", *playground_values())
    rid = (await gen.__anext__())[7]
    assert (await gen.__anext__())[1].startswith('<div id="eval_progress_text">1/24 attempts finished')
    handlers.stop(chat)  # after the first attempt: the one in flight is cancelled, nothing new starts
    outs = await drain(gen)
    assert outs[-1][0].startswith("Stopped: 1/24 attempts") and "Press Resume" in outs[-1][0]
    assert len(runs.OPEN[rid].attempts) == 1
    listed = handlers.list_runs(chat)
    assert listed["value"] == rid and "unfinished" in listed["choices"][0][0]
    assert handlers.list_runs(Session())["choices"] == []  # another session sees none of them
    runs.OPEN.clear()  # as after a restart: the run is read back from its directory
    outs = await drain(handlers.resume(rid, cap, chat, "", *playground_values()))
    assert outs[0][1].startswith('<div id="eval_progress_text">1/24 attempts finished')
    assert outs[0][0].startswith(f"Running capitals (run `{rid}`): 24 attempts, 1 already done, 23 calls")
    assert outs[-1][0].startswith("Done: 24/24 attempts")
    # this spec has no human assertion: the cell says how to add one, and a grade is refused
    event = type("Evt", (), {"index": [0, 1]})()
    cell, *_, note, human_button = handlers.select_cell(event, outs[-1][6], rid)
    assert "no `human` assertion" in note and human_button["visible"] is True
    assert handlers.grade(rid, cell, 1, 3, "")[-1].startswith("⚠️ This spec has no `human` assertion")
    added, _ = handlers.add_human(form.EXAMPLE_SPEC)
    assert parse_spec(added).asserts[-1].type == "human"
    other = await drain(handlers.resume(rid, cap, Session(), "", *playground_values()))
    assert other[0][0] == f"⚠️ No eval run {rid!r} in this session's runs."
    assert (await drain(handlers.resume("../../etc", cap, chat, "", *playground_values())))[0][0].startswith("⚠️ No")


async def test_bad_specs_are_named_before_any_request(ctx: Any) -> None:
    from playground.tuning.cost import SpendCap

    handlers = ev.EvaluateHandlers(ctx)
    bad = form.EXAMPLE_SPEC.replace('type = "max_words"', 'type = "max_wrds"')
    outs = await drain(handlers.run(bad, SpendCap(5.0), Session(), "", *playground_values()))
    assert len(outs) == 1 and outs[0][0].startswith("⚠️ asserts[1].type: unknown assertion type 'max_wrds'")
    line, _ = handlers.check("[eval\n", SpendCap(5.0), "", *playground_values())
    assert line.startswith("⚠️ the spec is not valid TOML")
    capped = await drain(handlers.run(form.EXAMPLE_SPEC, SpendCap(0.0001), Session(), "", *playground_values()))
    assert capped[0][0].startswith("⛔ Refused: 12 attempts") and "session's budget left" in capped[0][0]


def test_cost_plot_spreads_close_costs_across_the_axis() -> None:
    import re

    summary = hand_summary()
    summary.variants[0].cost_usd, summary.variants[1].cost_usd = 0.010, 0.011
    xs = [float(x) for x in re.findall(r'<circle cx="([\d.]+)"', view.cost_svg(summary, width=460))]
    # range 0.010-0.011 padded by 15% each side over the 390 px between the margins
    assert xs == pytest.approx([50 + 390 * 0.15 / 1.3, 50 + 390 * 1.15 / 1.3], abs=0.1)


def test_two_runs_compare_with_the_paired_analysis() -> None:
    first = hand_summary()
    later = hand_summary()
    for a in later.attempts:  # in the later run, b scores what c scored
        if a.variant == "b" and a.case == "a3" and a.repeat == 0:
            a.score, a.passed = 1.0, True
        if a.variant == "b" and a.case == "a2":
            a.score, a.passed = 1.0, True
    later = summarize(parse_spec(SPEC), later.attempts)
    rows = {r["variant"]: r for r in view.compare_runs_frame(first, later).to_dict("records")}
    # b: case means 1, .5, 0, 1 -> 1, 1, .5, 1: diffs 0, .5, .5, 0 -> +.25 ± 3.1824 * .1443
    assert rows["b"]["Δ B − A [95% CI]"] == "+0.250 [-0.209, +0.709]" and rows["b"]["W/T/L"] == "2/2/0"
    assert rows["b"]["mean A"] == "0.625" and rows["b"]["mean B"] == "0.875" and rows["b"]["shared cases"] == "4"
    # c did not change: all ties, p = 1; Holm over the two variants: b's 0.5 doubles to 1
    assert rows["c"]["W/T/L"] == "0/4/0" and rows["c"]["p (Holm)"] == "1" and rows["b"]["p (Holm)"] == "1"
    assert {r["verdict"] for r in rows.values()} == {"no detectable difference"}


async def test_generate_rows_asks_for_the_specs_variables_and_fills_the_grid(ctx: Any) -> None:
    from playground.tuning.cost import SpendCap
    from playground.ui.tuning import evaluate_generate as gen

    spec = form.EXAMPLE_SPEC
    columns = gen.row_columns(spec)
    assert "country" in columns and "_ideal" in columns  # a prompt variable and the reference answer
    schema = gen.rows_format(columns)["json_schema"]["schema"]
    assert schema["properties"]["rows"]["items"]["required"] == columns
    handlers = ev.EvaluateHandlers(ctx)
    before = form.frame_rows(form.cases_frame(spec))
    frame, note = await handlers.generate_rows(spec, form.cases_frame(spec), 4, SpendCap(5.0), "",
                                               *playground_values(model="claude-haiku-4-5"))
    rows = form.frame_rows(frame)
    added = rows[len(before):]
    assert rows[:len(before)] == before  # the existing cases stay, first
    assert 1 <= len(added) <= 4 and note.startswith(f"Generated {len(added)} row(s) with claude-haiku-4-5")
    assert all(set(r) == set(columns) and all(isinstance(v, str) and v for v in r.values()) for r in added)
    empty, why = await handlers.generate_rows('[[variants]]\nid = "v1"\nprompt = "Hello"\n', None, 3,
                                              SpendCap(5.0), "", *playground_values())
    assert empty == {"__type__": "update"}  # the grid is left as it was
    assert why.startswith("⚠️ Could not generate rows: the spec's prompts use no {{variables}}")
