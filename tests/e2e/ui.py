"""Small page helpers shared by the browser tests (selectors follow the pinned elem_ids)."""

from __future__ import annotations

import json

DONE_MARKERS = ("stop reason:", "Stopped", "Error")

# An init script (page.add_init_script) keeping a copy of what the page receives on Gradio's queue stream
# (one long response per page, finished only when no event is pending): `window.__queue_text()` is all of
# it (what the app sent the page, for the secrets test's search).
QUEUE_COPY_JS = """(() => {
    const fetch0 = window.fetch, chunks = [];
    window.__queue_text = () => chunks.join('');
    window.fetch = async (...args) => {
        const response = await fetch0(...args);
        if (String(args[0]?.url ?? args[0]).includes('/queue/data')) {
            const reader = response.clone().body.getReader(), decoder = new TextDecoder();
            (async () => { for (;;) { const {done, value} = await reader.read(); if (done) break;
                                      chunks.push(decoder.decode(value, {stream: true})); } })();
        }
        return response;
    };
})()"""


def fill(page, elem_id: str, value: str) -> None:
    """Type into a Textbox/Number by elem_id and leave it, so Gradio sees the change."""
    box = page.locator(f"#{elem_id} input, #{elem_id} textarea").first
    box.fill(value)
    box.press("Tab")


def choose(page, elem_id: str, label: str) -> None:
    """Pick an option of a Dropdown by its label."""
    page.locator(f"#{elem_id} input").click()
    page.locator(f'li[role=option][aria-label="{label}"]').click()
    page.wait_for_function("([id, label]) => document.querySelector(`#${id} input`).value === label",
                           arg=[elem_id, label])


def send(page, text: str) -> None:
    page.locator("#prompt textarea").fill(text)
    page.locator("#send").click()


def bot_texts(page) -> list[str]:
    return page.locator("#chat [data-testid=bot]").all_inner_texts()


def wait_done(page, turns: int = 1, timeout: float = 30_000) -> str:
    """Wait until ``turns`` assistant turns have ended (stop reason, Stopped or Error shown); the chat text."""
    page.wait_for_function(
        """([markers, turns]) => {
            const bots = [...document.querySelectorAll('#chat [data-testid=bot]')].map(e => e.innerText);
            const ended = bots.filter(t => markers.some(m => t.includes(m))).length;
            return ended >= turns && !document.querySelector('#send').disabled;
        }""",
        arg=[list(DONE_MARKERS), turns],
        timeout=timeout,
    )
    settle(page, "#chat")
    return page.locator("#chat").inner_text()


# Gradio's chatbot paints a new message at once but re-renders an updated one a frame or two later
# (measured ~20 ms): the footer of a final update can be on screen while the answer above it still shows
# the previous update's text. Resolves once the element's text has not changed for 3 frames (at most
# ~300 frames: the caller's assertion then says what it sees).
SETTLE_JS = """async (selector) => {
    const el = document.querySelector(selector);
    if (!el) return;
    let changed = false;
    const watch = new MutationObserver(() => { changed = true; });
    watch.observe(el, {subtree: true, childList: true, characterData: true});
    const frame = () => new Promise(resolve => requestAnimationFrame(resolve));
    for (let quiet = 0, frames = 0; quiet < 3 && frames < 300; frames++) {
        changed = false;
        await frame();
        quiet = changed ? 0 : quiet + 1;
    }
    watch.disconnect();
}"""


def settle(page, selector: str) -> None:
    """Wait until what ``selector`` shows has stopped changing (see SETTLE_JS)."""
    page.evaluate(SETTLE_JS, selector)


def answer_text(page) -> str:
    """The last plain (non-collapsible, non-footer) assistant message."""
    texts = page.evaluate(
        """() => [...document.querySelectorAll('#chat .message:not(.thought) [data-testid=bot]')]
                 .map(e => e.innerText)"""
    )
    plain = [t for t in texts if not any(t.startswith(m) or t.startswith(m.lower()) for m in DONE_MARKERS)]
    return plain[-1] if plain else ""


def view_text(page, elem_id: str) -> str:
    """The full text of an inspector raw view (a read-only textarea)."""
    return page.locator(f"#{elem_id} textarea").input_value()


def request_body(page) -> dict:
    """The JSON body of the last attempt in the Request view."""
    text = view_text(page, "request")
    return json.loads(text[text.index("\n{") + 1:])


def open_tab(page, label: str) -> None:
    """Open an inspector tab by its label."""
    page.locator("#inspector_tabs label", has_text=label).click()
    page.wait_for_function("(label) => [...document.querySelectorAll('#inspector_tabs label.selected')]"
                           ".some(l => l.innerText.trim() === label)", arg=label)


# The settings sections that start collapsed (their contents are not mounted until opened).
SECTIONS = ("thinking_section", "caching_section", "format_panel", "offline_options")


def open_section(page, elem_id: str) -> None:
    """Open a collapsed settings section (an Accordion) if it is closed and shown."""
    section = page.locator(f"#{elem_id}")
    if not section.is_visible():
        return
    # Gradio turns the accordion's arrow 90 degrees while it is closed
    if "rotate(90deg)" in (section.locator(":scope > button.label-wrap .icon").get_attribute("style") or ""):
        section.locator(":scope > button.label-wrap").click()
        page.wait_for_function("(id) => !document.querySelector(`#${id} > button.label-wrap .icon`)"
                               ".getAttribute('style').includes('90deg')", arg=elem_id)


# The closed, shown ones among ``ids`` (an accordion's arrow is turned 90 degrees while it is closed).
_CLOSED_SECTIONS = """(ids) => ids.filter(id => {
    const section = document.getElementById(id);
    const icon = section?.querySelector(':scope > button.label-wrap .icon');
    return section && section.getClientRects().length > 0 && (icon?.getAttribute('style') || '').includes('90deg');
})"""


def open_sections(page) -> None:
    """Open every collapsed settings section but Tools (whose tests open it themselves), so tests
    can reach each control by its elem_id whatever the layout. One click each, then one wait for
    all: every browser test's page fixture does this, so it costs two round trips, not eight."""
    closed = page.evaluate(_CLOSED_SECTIONS, list(SECTIONS))
    for elem_id in closed:
        page.locator(f"#{elem_id} > button.label-wrap").click()
    if closed:
        page.wait_for_function(f"(ids) => ({_CLOSED_SECTIONS})(ids).length === 0", arg=closed)
