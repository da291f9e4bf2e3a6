"""Fake external systems, served over real HTTP for contract tests."""
