"""Conversation state and the policy that picks a handler for each turn."""
