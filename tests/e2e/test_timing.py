"""The Timing view in Chromium: times in ms from the request's start, a rate only for streamed runs."""

from __future__ import annotations

import re

import pytest
from ui import fill, open_tab, send, wait_done

pytestmark = [pytest.mark.browser, pytest.mark.slow]  # starts `python app.py`
APP_ENV = {"PLAYGROUND_EMULATOR_TPS": "200"}  # paced, so a streamed run has a span to measure


def timing_rows(page) -> dict[str, str]:
    """The Timing tab's table as {metric: value}."""
    open_tab(page, "Timing")
    page.wait_for_selector("#timing table", state="visible")
    rows = page.locator("#timing tbody tr")
    return {rows.nth(i).locator("td").nth(0).inner_text().strip(): rows.nth(i).locator("td").nth(1).inner_text().strip()
            for i in range(rows.count())}


def ms(value: str) -> int:
    match = re.fullmatch(r"([\d,]+) ms", value)
    assert match, value
    return int(match.group(1).replace(",", ""))


def output_tokens(page) -> int:
    open_tab(page, "Usage")
    return int(re.search(r"Output tokens\s+([\d,]+)", page.locator("#usage").inner_text()).group(1).replace(",", ""))


def test_a_non_streamed_run_shows_no_rate_and_no_epoch(page, shot) -> None:
    page.locator("#stream input").uncheck()
    fill(page, "max_tokens", "30")
    send(page, "Tell me about rivers")
    assert "stop reason:" in wait_done(page)
    rows = timing_rows(page)
    shot(page)
    assert rows["Output tokens / s"] == "– (not streamed)"
    ttft, last, total = ms(rows["Time to first token"]), ms(rows["Last part"]), ms(rows["Total"])
    assert 0 <= ttft <= last <= total < 60_000  # ms from the request's start, in order
    # no clock reading anywhere: every number on the tab is a small count of ms or parts
    numbers = [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", page.locator("#timing").inner_text())]
    assert numbers and max(numbers) < 60_000, numbers


def test_a_streamed_run_shows_its_rate_over_the_streaming_span(page, shot) -> None:
    fill(page, "max_tokens", "60")
    page.locator("#endless input").check()  # runs to max_tokens: 60 output tokens, paced at 200/s
    send(page, "Tell me about the sea")
    wait_done(page)
    tokens = output_tokens(page)
    rows = timing_rows(page)
    shot(page)
    ttft, last, total = ms(rows["Time to first token"]), ms(rows["Last part"]), ms(rows["Total"])
    assert 0 <= ttft < last <= total
    rate = float(rows["Output tokens / s"].replace(",", ""))
    # output tokens over first output -> last part; the shown ms are rounded, so allow that rounding
    assert tokens / ((last - ttft + 1) / 1000) <= rate <= tokens / ((last - ttft - 1) / 1000), (rate, rows)
