"""Tier0 engine: dialogue, knowledge base, guided fixes, tickets. Knows no chat platform."""
