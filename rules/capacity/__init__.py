"""Rules about what a team can take on: sprints loaded beyond capacity where other teams wait.

`sprint_load` holds the computation (trailing velocity or configured capacity) that CAP001,
`whatif` and `suggest` share.
"""

from rules.capacity.cap001_prerequisite_overbooked import PrerequisiteOverbooked

RULES = (PrerequisiteOverbooked,)
