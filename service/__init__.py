"""poalign service: the only layer that imports connectors, rules and its own store."""
