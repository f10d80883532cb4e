"""The spec parser: a good spec in every dataset form, and each mistake named before any request."""

from __future__ import annotations

from pathlib import Path

import pytest

from playground.evals.spec import SpecError, load_spec, parse_spec, render, variant_settings

HEAD = """
[eval]
name = "t"
[defaults]
model = "claude-haiku-4-5"
max_tokens = 64
"""
VARIANTS = """
[[variants]]
id = "v1"
prompt = "Capital of {{country}}?"
[[variants]]
id = "v2"
prompt = "{{country}}: capital only."
temperature = 0.2
"""
CASES = """
[[cases]]
country = "France"
_ideal = "Paris"
_tags = "europe;big"
[[cases]]
_id = "jp"
country = "Japan"
_ideal = "Tokyo"
"""
ASSERTS = """
[[asserts]]
type = "icontains"
value = "{{_ideal}}"
"""


def test_inline_cases_defaults_and_overrides() -> None:
    spec = parse_spec(HEAD + VARIANTS + CASES + ASSERTS)
    assert [c.id for c in spec.cases] == ["1", "jp"]
    assert spec.cases[0].tags == ("europe", "big") and spec.cases[0].ideal == "Paris"
    assert spec.variants[1].settings == {"model": "claude-haiku-4-5", "max_tokens": 64, "temperature": 0.2}
    assert spec.baseline == "v1" and spec.repeats == 1 and spec.gate is None


def test_csv_and_jsonl_datasets_and_prompt_file(tmp_path: Path) -> None:
    (tmp_path / "cases.csv").write_text("_id,country,_ideal\nfr,France,Paris\n,,\njp,Japan,Tokyo\n", encoding="utf-8")
    (tmp_path / "p.txt").write_text("Q: {{country}}", encoding="utf-8")
    (tmp_path / "spec.toml").write_text(HEAD + '[[variants]]\nid = "a"\nprompt_file = "p.txt"\n'
                                        '[dataset]\npath = "cases.csv"\n' + ASSERTS, encoding="utf-8")
    spec = load_spec(tmp_path / "spec.toml")
    assert [c.id for c in spec.cases] == ["fr", "jp"]  # the blank row is skipped
    assert render(spec.variants[0].prompt, spec.cases[1].vars) == "Q: Japan"
    (tmp_path / "cases.jsonl").write_text('{"country": "Peru", "_ideal": "Lima", "n": 3}\n\n', encoding="utf-8")
    (tmp_path / "spec.toml").write_text(HEAD + '[[variants]]\nid = "a"\nprompt = "{{country}} {{n}}"\n'
                                        '[dataset]\npath = "cases.jsonl"\n' + ASSERTS, encoding="utf-8")
    spec = load_spec(tmp_path / "spec.toml")
    assert spec.cases[0].vars["n"] == "3" and spec.cases[0].ideal == "Lima"


@pytest.mark.parametrize("text, message", [
    ("[eval\nname=1", r"not valid TOML"),
    (HEAD.replace('name = "t"', "") + VARIANTS + CASES + ASSERTS, r"eval\.name: give the eval a name"),
    (HEAD + VARIANTS + CASES, r"asserts: give at least one"),
    (HEAD + VARIANTS + ASSERTS, r"no test cases"),
    (HEAD + CASES + ASSERTS, r"variants: give at least one"),
    (HEAD + VARIANTS.replace("{{country}}?", "{{contry}}?") + CASES + ASSERTS,
     r"variant 'v1' prompt \(case '1'\) uses \{\{contry\}\}, but the case has no such column"),
    (HEAD + VARIANTS + CASES + ASSERTS.replace("{{_ideal}}", "{{answer}}"),
     r"asserts\[0\] \(icontains\) value \(case '1'\) uses \{\{answer\}\}"),
    (HEAD + VARIANTS + CASES + '[[asserts]]\ntype = "contians"\nvalue = "x"\n',
     r"asserts\[0\]\.type: unknown assertion type 'contians'"),
    (HEAD + VARIANTS.replace("temperature = 0.2", "temprature = 0.2") + CASES + ASSERTS,
     r"variant 'v2': unknown setting 'temprature'"),
    (HEAD + VARIANTS.replace("temperature = 0.2", 'temperature = "hot"') + CASES + ASSERTS,
     r"variant 'v2': temperature: expected a number"),
    (HEAD + VARIANTS.replace("temperature = 0.2", "max_tokens = 0") + CASES + ASSERTS,
     r"variant 'v2': max_tokens"),
    (HEAD.replace("max_tokens = 64", "max_tokns = 64") + VARIANTS + CASES + ASSERTS, r"defaults: unknown setting 'max_tokns'"),
    (HEAD.replace('name = "t"', 'name = "t"\nbaseline = "v9"') + VARIANTS + CASES + ASSERTS,
     r"eval\.baseline: no variant has id 'v9'"),
    (HEAD.replace('name = "t"', 'name = "t"\nrepeats = 0') + VARIANTS + CASES + ASSERTS, r"eval\.repeats: must be at least 1"),
    (HEAD.replace('name = "t"', 'name = "t"\nrepeats = "3"') + VARIANTS + CASES + ASSERTS,
     r"eval\.repeats: expected a whole number"),
    (HEAD + VARIANTS + VARIANTS + CASES + ASSERTS, r"variants\[2\]\.id: 'v1' is used twice"),
    (HEAD + VARIANTS + CASES + '[dataset]\npath = "x.csv"\n' + ASSERTS, r"either \[dataset\] or inline"),
    (HEAD + VARIANTS + CASES.replace('_id = "jp"', '_id = "1"') + ASSERTS, r"case id '1' appears twice"),
    (HEAD + VARIANTS + CASES + ASSERTS + "[gate]\nmin_mean = 2\n", r"gate\.min_mean: must be between 0 and 1"),
    (HEAD + VARIANTS + CASES + ASSERTS + "[gate]\nmin_man = 0.5\n", r"gate: unknown field 'min_man'"),
    (HEAD + VARIANTS + CASES + ASSERTS + "[extra]\n", r"unknown top-level entry 'extra'"),
    (HEAD + '[[variants]]\nid = "a"\nprompt = "x"\nbackend = "openai"\n' + CASES + ASSERTS,
     r"variant 'a': backend cannot differ per variant"),
    (HEAD + VARIANTS + CASES.replace('_ideal = "Tokyo"', "") + '[[asserts]]\ntype = "ideal_match"\n',
     r"ideal_match\): case 'jp' has no _ideal column"),
])
def test_errors_name_the_field(text: str, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        parse_spec(text)


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="spec file not found"):
        load_spec(tmp_path / "missing.toml")
    spec = HEAD + VARIANTS + '[dataset]\npath = "{}"\n' + ASSERTS
    for name, content, message in [
        ("gone.csv", None, r"dataset\.path: file not found: .*gone\.csv"),
        ("cases.txt", "a\n1\n", r"expected a \.csv or \.jsonl file"),
        ("bad.jsonl", '{"country": "x"}\n[1]\n', r"dataset bad\.jsonl: line 2 is not a JSON object"),
        ("broken.jsonl", '{"country": \n', r"line 1 is not valid JSON"),
        ("ragged.csv", "country,_ideal\nFrance,Paris,extra\n", r"line 2 has more cells than the header"),
        ("empty.csv", "", r"the CSV has no header row"),
        ("nocases.csv", "country,_ideal\n", r"there are no cases"),
    ]:
        if content is not None:
            (tmp_path / name).write_text(content, encoding="utf-8")
        with pytest.raises(SpecError, match=message):
            parse_spec(spec.format(name), tmp_path)
    with pytest.raises(SpecError, match=r"variant 'a': prompt_file: file not found"):
        parse_spec(HEAD + '[[variants]]\nid = "a"\nprompt_file = "nope.txt"\n' + CASES + ASSERTS, tmp_path)


def test_variant_settings_is_the_one_merge() -> None:
    merged = variant_settings({"model": "m", "max_tokens": 10, "stop_sequences": ["END", "a\nb"]},
                              {"max_tokens": 20}, "v")
    assert merged == {"model": "m", "max_tokens": 20, "stop_sequences": ["END", "a\nb"]}
    from playground.evals.spec import provider_kwargs

    assert provider_kwargs(merged)["stop"] == ["END", "a\nb"]  # a newline inside a sequence survives
