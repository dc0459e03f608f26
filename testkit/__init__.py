"""What the tests and the bench (make bench, make proof) both drive the real parts with: loopback
helpers, a throwaway PostgreSQL server, a sandbox wired to a store, readers of what a run left
behind, and the hostile-input generators with their judges.

Below both: it imports neither `tests` nor `bench`, and never pytest, because the bench runs
without it (import-linter contracts in pyproject.toml).
"""
