"""Retake the README screenshot (assets/screenshot.png) from the running app, so it shows the app as it is.

Starts ``python app.py`` on a free port with the offline backend, sends one prompt with thinking on
in Chromium (/usr/bin/chromium), opens the Usage tab and saves the top of the page.

    python scripts/screenshot.py [--out assets/screenshot.png]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from app_server import running_app  # noqa: E402
from ui import fill, open_tab, send, wait_done  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
SIZE = {"width": 1360, "height": 1180}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "assets" / "screenshot.png")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    # a fixed seed: the same reply each time the screenshot is retaken
    env = {"PLAYGROUND_EMULATOR_TPS": "200", "PLAYGROUND_EMULATOR_SEED": "7"}
    with running_app("screenshot", env) as app, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        page = browser.new_page(viewport=SIZE)
        page.goto(app.url)
        page.wait_for_function("document.querySelector('#model input')?.value?.length > 0")
        fill(page, "system", "You are a concise storyteller.")
        page.locator("#thinking label", has_text="budget").click()
        # picking budget thinking raises max_tokens above the budget: send once that has landed
        page.wait_for_function("() => Number(document.querySelector('#max_tokens input').value) > 2048")
        send(page, "Tell me a short story about a rabbit and a clock")
        wait_done(page)
        open_tab(page, "Usage")
        args.out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.out), clip={"x": 0, "y": 0, **SIZE})
        browser.close()
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
