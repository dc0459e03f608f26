"""Hostile inputs derived from real payloads, how many of them a run throws, and how each outcome is
judged: shared by tests/hostile and the proof (bench/proof/hostile.py)."""
