"""UI benchmark: a 10,000-delta stream from the offline backend (pacing off), rendered in Chromium.

Measures, per run:
- lag: the browser's clock when the final render (the stop-reason line) appeared, minus the
  server's clock at the last upstream event (shown in the Timing tab; same machine, same clock);
- click -> final render;
- server CPU seconds (user + system of the app process, from /proc) spent on the run;
- renders: how many times the answer text changed in the browser (throttle check).

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


def one_run(page, pid: int, tokens: int) -> dict[str, float]:
    page.evaluate(OBSERVE)
    cpu0 = cpu_seconds(pid)
    clicked = time.time()
    page.locator("#send").click()
    page.wait_for_function("window.__bench.final !== null", timeout=120_000)
    page.wait_for_function("!document.querySelector('#send').disabled")
    cpu1 = cpu_seconds(pid)
    bench = page.evaluate("window.__bench")
    page.locator("#inspector_tabs label", has_text="Timing").click()
    page.wait_for_selector("#timing table", state="visible")
    timing = page.locator("#timing").inner_text()
    page.locator("#inspector_tabs label", has_text="Request").click()
    last_event_ms = float(re.search(r"Last event \(server clock, ms\)\s+(\d+)", timing).group(1))
    events = int(re.search(r"Parts received\s+([\d,]+)", timing).group(1).replace(",", ""))
    return {
        "lag_ms": bench["final"] - last_event_ms,
        "click_to_final_s": bench["final"] / 1000 - clicked,
        "server_cpu_s": cpu1 - cpu0,
        "browser_mutations": bench["renders"],
        "long_tasks": len(bench["tasks"]),
        "long_task_ms_max": max(bench["tasks"], default=0.0),
        "events": events,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=10_000)
    parser.add_argument("--warmup", type=int, default=1, help="runs first, not counted (browser and server warm-up)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as data, running_app("bench", {
        "PLAYGROUND_EMULATOR_TPS": "0",  # pacing off: the stream is as fast as the emulator can write it
        "PLAYGROUND_HISTORY_PATH": os.path.join(data, "history.sqlite3"),  # keep the user's run history clean
    }) as app, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"], headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(app.url)
        page.wait_for_function("document.querySelector('#model input')?.value?.length > 0")
        page.locator("#endless input").check()  # no natural end: the reply runs to max_tokens
        box = page.locator("#max_tokens input")
        box.fill(str(args.tokens))
        box.press("Tab")
        results = []
        for i in range(args.warmup + args.runs):
            page.locator("#clear").click()
            page.wait_for_function("document.querySelectorAll('#chat [data-testid=bot]').length === 0")
            page.locator("#prompt textarea").fill(f"Write a very long story, take {i}")
            result = one_run(page, app.process.pid, args.tokens)
            label = "warm-up" if i < args.warmup else f"run {i + 1 - args.warmup}"
            print(f"{label}: " + ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                                           for k, v in result.items()))
            if i >= args.warmup:
                results.append(result)
        browser.close()
    print("\nmedian over runs:")
    for key in results[0]:
        print(f"  {key:>18}: {statistics.median(r[key] for r in results):.3f}")


if __name__ == "__main__":
    main()
