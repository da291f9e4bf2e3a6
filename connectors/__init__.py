"""Adapters to the outside world: HTTP API, CLI, chat platforms.

They depend on `bot`; `bot` never imports them.
"""
