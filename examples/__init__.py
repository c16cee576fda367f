"""Runnable examples for vendors and developers of the chain (documentation that runs)."""
