"""`make proof`: the chaos scenarios (soak, crash, outage, database) and the bad-input and security figures."""
