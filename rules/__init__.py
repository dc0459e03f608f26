"""Pure rules: standard library only, no I/O. A snapshot in, findings out."""
