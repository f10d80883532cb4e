"""UI benchmark: a 10,000-delta stream from the offline backend (pacing off), rendered in Chromium.

Measures, per run:
- lag: click -> final render (the stop-reason line) minus the Timing tab's "Last part" (ms from the
  request's start to the last upstream part). The click -> request-start dispatch is counted in, so
  this is an upper bound of the render lag (the tab shows no clock readings to subtract exactly);
- click -> final render;
- server CPU seconds (user + system of the app process, from /proc) spent on the run;
- renders: how many times the answer text changed in the browser (throttle check).

Baseline, in the same run and interleaved with it: ``bare_chat_app.py``, the smallest Gradio chat
streaming the same reply through the same provider (yield every 50 ms, nothing else on the page).
The ratios say what the playground's inspector, blocks and history cost on top of Gradio itself.

Usage:  python benchmarks/bench_ui.py [--runs 3] [--tokens 10000] [--warmup 1]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from app_server import running_app  # noqa: E402
from ui import open_section  # noqa: E402

BARE_APP = Path(__file__).resolve().parent / "bare_chat_app.py"

OBSERVE = """() => {
    // counters are reset per run; the observers are installed once (more would add browser work)
    window.__bench = {renders: 0, final: null, tasks: []};
    if (window.__benchInstalled) return;
    window.__benchInstalled = true;
    const chat = document.querySelector('#chat');
    new MutationObserver(() => {
        window.__bench.renders += 1;
        // textContent, not innerText: no forced layout, so measuring does not slow the page down
        if (window.__bench.final === null && chat.textContent.includes('stop reason:')) {
            window.__bench.final = Date.now();
        }
    }).observe(chat, {childList: true, subtree: true, characterData: true});
    // long tasks (>50 ms) on the page's main thread: mostly Markdown re-renders of the growing reply
    new PerformanceObserver(list => list.getEntries().forEach(e => window.__bench.tasks.push(e.duration)))
        .observe({type: 'longtask'});
}"""


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (Linux /proc), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_run(page, pid: int, tokens: int, *, inspector: bool = True) -> dict[str, float]:
    """One Send, timed. ``inspector``: the playground's Timing tab gives when the last upstream part
    arrived, in ms from the request's start (for the lag), and the part count; the baseline has neither."""
    page.evaluate(OBSERVE)
    cpu0 = cpu_seconds(pid)
    clicked = time.time()
    page.locator("#send").click()
    page.wait_for_function("window.__bench.final !== null", timeout=120_000)
    page.wait_for_function("!document.querySelector('#send').disabled")
    cpu1 = cpu_seconds(pid)
    bench = page.evaluate("window.__bench")
    result = {
        "click_to_final_s": bench["final"] / 1000 - clicked,
        "server_cpu_s": cpu1 - cpu0,
        "browser_mutations": bench["renders"],
        "long_tasks": len(bench["tasks"]),
        "long_task_ms_max": max(bench["tasks"], default=0.0),
    }
    if inspector:
        page.locator("#inspector_tabs label", has_text="Timing").click()
        page.wait_for_selector("#timing table", state="visible")
        timing = page.locator("#timing").inner_text()
        page.locator("#inspector_tabs label", has_text="Request").click()
        last_part_ms = float(re.search(r"Last part\s+([\d,]+) ms", timing).group(1).replace(",", ""))
        result["lag_ms"] = bench["final"] - clicked * 1000 - last_part_ms
        result["events"] = int(re.search(r"Parts received\s+([\d,]+)", timing).group(1).replace(",", ""))
    return result


def open_page(browser, app, tokens: int, *, playground: bool):
    page = browser.new_page(viewport={"width": 1440, "height": 900})  # a laptop: the layout it is sized for
    page.goto(app.url)
    if playground:
        page.wait_for_function("document.querySelector('#model input')?.value?.length > 0")
        open_section(page, "offline_options")  # a collapsed settings section
        page.locator("#endless input").check()  # no natural end: the reply runs to max_tokens
    else:
        page.wait_for_selector("#send")
    box = page.locator("#max_tokens input")
    box.fill(str(tokens))
    box.press("Tab")
    return page


def run_once(page, app, i: int, tokens: int, *, playground: bool) -> dict[str, float]:
    page.locator("#clear").click()
    page.wait_for_function("document.querySelectorAll('#chat [data-testid=bot]').length === 0")
    page.locator("#prompt textarea").fill(f"Write a very long story, take {i}")
    return one_run(page, app.process.pid, tokens, inspector=playground)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=10_000)
    parser.add_argument("--warmup", type=int, default=1, help="runs first, not counted (browser and server warm-up)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    env = {"PLAYGROUND_EMULATOR_TPS": "0"}  # pacing off: the stream is as fast as the emulator can write it
    results: dict[str, list[dict[str, float]]] = {"playground": [], "bare Gradio chat": []}
    with tempfile.TemporaryDirectory() as data, running_app("bench", {
        **env, "PLAYGROUND_HISTORY_PATH": os.path.join(data, "history.sqlite3"),  # keep the user's history clean
    }, timeout=240) as app, running_app("bench-bare", env, script=BARE_APP, timeout=240) as bare, \
            sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"], headless=True)
        pages = {"playground": (open_page(browser, app, args.tokens, playground=True), app),
                 "bare Gradio chat": (open_page(browser, bare, args.tokens, playground=False), bare)}
        for i in range(args.warmup + args.runs):
            for name, (page, proc) in pages.items():  # interleaved: a noisy moment hits both alike
                result = run_once(page, proc, i, args.tokens, playground=name == "playground")
                label = "warm-up" if i < args.warmup else f"run {i + 1 - args.warmup}"
                print(f"{name:>16} {label}: " + ", ".join(
                    f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in result.items()))
                if i >= args.warmup:
                    results[name].append(result)
        browser.close()
    medians = {name: {k: statistics.median(r[k] for r in runs) for k in runs[0]} for name, runs in results.items()}
    print("\nmedian over runs:        playground   bare Gradio chat   ratio")
    ours, base = medians["playground"], medians["bare Gradio chat"]
    for key, value in ours.items():
        if key in base:
            ratio = f"{value / base[key]:.2f}x" if base[key] else "-"
            print(f"  {key:>18}: {value:12.3f}   {base[key]:16.3f}   {ratio}")
        else:
            print(f"  {key:>18}: {value:12.3f}")


if __name__ == "__main__":
    main()
