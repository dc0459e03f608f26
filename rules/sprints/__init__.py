"""Rules about what happens to a running sprint's cross-team dependencies (plan history)."""

from rules.sprints.sco001_mid_sprint_surprise import MidSprintSurprise

RULES = (MidSprintSurprise,)
