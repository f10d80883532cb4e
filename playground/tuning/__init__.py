"""Parameter-tuning sessions: compare side by side, sweep a grid, keep every run, replay and export.

Pure pieces (no gradio, no I/O): ``settings`` (one run's settings), ``grid`` (sweep expansion),
``cost`` (estimate and per-session spend cap), ``variation`` (distinct outputs, similarity),
``diff`` (word diff, parameter changes), ``report`` (table rows, summary, CSV), ``exports`` (curl,
Python, SDK, JSON), ``share`` (settings <-> URL query). With I/O: ``presets`` (a JSON file),
``record`` (a chat turn -> the run history in ``playground.store``) and ``runner`` (concurrent runs
through the provider). The Gradio tabs live in ``playground.ui.tuning``.
"""
