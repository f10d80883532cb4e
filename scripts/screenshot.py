"""Retake the README screenshot (assets/screenshot.png) from the running app, so it shows the app as it is.

Starts ``python app.py`` on a free port with the offline backend, sends one prompt with thinking on
in Chromium (/usr/bin/chromium) at a laptop's 1440x900, opens the Usage tab and saves the window.
``--gallery DIR`` also saves the laptop and phone (390x844) views, light and dark, to look at.

    python scripts/screenshot.py [--out assets/screenshot.png] [--gallery tests/artifacts/screens]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from app_server import running_app  # noqa: E402
from ui import fill, open_section, open_tab, send, wait_done  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
LAPTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def conversation(page) -> None:
    """The README's scene: a system prompt, budget thinking, one finished reply, the Usage tab."""
    page.wait_for_function("document.querySelector('#model input')?.value?.length > 0", timeout=60_000)
    fill(page, "system", "You are a concise storyteller.")
    open_section(page, "thinking_section")
    page.locator("#thinking label", has_text="budget").click()
    # picking budget thinking raises max_tokens above the budget: send once that has landed
    page.wait_for_function("() => Number(document.querySelector('#max_tokens input').value) > 2048")
    send(page, "Tell me a short story about a rabbit and a clock")
    wait_done(page)
    open_tab(page, "Usage")
    page.evaluate("window.scrollTo(0, 0)")  # opening a section may scroll the page: show it from its header


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "assets" / "screenshot.png")
    parser.add_argument("--gallery", type=Path, default=None, help="also save laptop/phone x light/dark here")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    # a fixed seed: the same reply each time the screenshot is retaken
    env = {"PLAYGROUND_EMULATOR_TPS": "200", "PLAYGROUND_EMULATOR_SEED": "7"}
    with running_app("screenshot", env, timeout=240) as app, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        page = browser.new_page(viewport=LAPTOP)
        page.set_default_timeout(60_000)
        page.goto(app.url + "?__theme=light")
        conversation(page)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(args.out))
        print(f"saved {args.out}")
        if args.gallery:
            args.gallery.mkdir(parents=True, exist_ok=True)
            for name, size in (("laptop", LAPTOP), ("phone", PHONE)):
                for theme in ("light", "dark"):
                    view = browser.new_page(viewport=size, is_mobile=size is PHONE)
                    view.set_default_timeout(60_000)
                    view.goto(f"{app.url}?__theme={theme}")
                    conversation(view)
                    path = args.gallery / f"{name}-{theme}.png"
                    view.screenshot(path=str(path))
                    print(f"saved {path}")
                    view.close()
        browser.close()


if __name__ == "__main__":
    main()
