"""The example aanbieder (``python -m examples.aanbieder``); see README.md and ``app.py``."""
