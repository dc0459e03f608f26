"""Rules about the product's roadmap: epics and features whose dates or contents the teams' plans
contradict."""

from rules.roadmap.roa001_roadmap_drift import RoadmapDrift
from rules.roadmap.roa002_orphaned_cross_team_work import OrphanedCrossTeamWork

RULES = (RoadmapDrift, OrphanedCrossTeamWork)
