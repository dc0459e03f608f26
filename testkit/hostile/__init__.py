"""Hostile inputs, derived from real payloads by mutation: deterministic, counted, scalable. Shared by
tests/hostile and the proof (bench/proof/hostile.py).

Every generator starts from files a tracker or an admin really produced (the vendor samples under
tests/fixtures, the starter config, the demo world's poalign.yaml) and bends them: fields dropped,
nulled or given the wrong type, huge or control-character strings, nesting bombs, dates in every
format the trackers write (and some they never should), forged signatures and headers, bodies over
the size limit, truncated JSON, files that are not what their name says. A case carries a `variant`
name saying exactly what was done, so a failure reads as the input that caused it.

`scale` multiplies the randomly placed mutations (the systematic variants are always all there);
the seed is fixed, so scale=1 always yields the same inputs. `budget` says how many each suite
generates; `harness` feeds them to the real parts and judges each outcome.
"""
