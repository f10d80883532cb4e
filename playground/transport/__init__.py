"""The wire, independent of any API: ``sse`` (incremental event-stream decoder), ``client``
(aiohttp sessions, timeouts, transport errors) and ``retry`` (what to retry, how long to wait)."""
