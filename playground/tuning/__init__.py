"""Parameter-tuning sessions: compare side by side, sweep a grid, keep every run, replay and export.

Pure pieces (no gradio, no I/O) — ``settings``, ``grid``, ``cost``, ``variation``, ``diff``, ``exports``,
``share`` — plus ``presets`` (a JSON file) and ``runner`` (concurrent runs through the provider).
The Gradio tabs live in ``playground.ui.tuning``.
"""
