"""Work item types, their states and state categories per process template (Agile, Scrum, CMMI,
Basic), and the guesses made for types and states a world uses but does not declare.
"""

from __future__ import annotations

# Work item types and their states per process template (state -> category).
PROCESS_TYPES: dict[str, dict[str, list[tuple[str, str, str]]]] = {
    "Agile": {
        "Epic": [
            ("New", "Proposed", "b2b2b2"),
            ("Active", "InProgress", "007acc"),
            ("Resolved", "Resolved", "ff9d00"),
            ("Closed", "Completed", "339933"),
            ("Removed", "Removed", "ffffff"),
        ],
        "Feature": [
            ("New", "Proposed", "b2b2b2"),
            ("Active", "InProgress", "007acc"),
            ("Resolved", "Resolved", "ff9d00"),
            ("Closed", "Completed", "339933"),
            ("Removed", "Removed", "ffffff"),
        ],
        "User Story": [
            ("New", "Proposed", "b2b2b2"),
            ("Active", "InProgress", "007acc"),
            ("Resolved", "Resolved", "ff9d00"),
            ("Closed", "Completed", "339933"),
            ("Removed", "Removed", "ffffff"),
        ],
        "Task": [
            ("New", "Proposed", "b2b2b2"),
            ("Active", "InProgress", "007acc"),
            ("Closed", "Completed", "339933"),
            ("Removed", "Removed", "ffffff"),
        ],
        "Bug": [
            ("New", "Proposed", "b2b2b2"),
            ("Active", "InProgress", "007acc"),
            ("Resolved", "Resolved", "ff9d00"),
            ("Closed", "Completed", "339933"),
        ],
        "Issue": [("Active", "Proposed", "007acc"), ("Closed", "Completed", "339933")],
    },
    "Scrum": {
        "Epic": [
            ("New", "Proposed", "b2b2b2"),
            ("In Progress", "InProgress", "007acc"),
            ("Done", "Completed", "339933"),
            ("Removed", "Removed", "ffffff"),
        ],
        "Feature": [
            ("New", "Proposed", "b2b2b2"),
            ("In Progress", "InProgress", "007acc"),
            ("Done", "Completed", "339933"),
            ("Removed", "Removed", "ffffff"),
        ],
        "Product Backlog Item": [
            ("New", "Proposed", "b2b2b2"),
            ("Approved", "Proposed", "5688e0"),
            ("Committed", "InProgress", "007acc"),
            ("Done", "Completed", "339933"),
            ("Removed", "Removed", "ffffff"),
        ],
        "Task": [
            ("To Do", "Proposed", "b2b2b2"),
            ("In Progress", "InProgress", "007acc"),
            ("Done", "Completed", "339933"),
            ("Removed", "Removed", "ffffff"),
        ],
        "Bug": [
            ("New", "Proposed", "b2b2b2"),
            ("Approved", "Proposed", "5688e0"),
            ("Committed", "InProgress", "007acc"),
            ("Done", "Completed", "339933"),
            ("Removed", "Removed", "ffffff"),
        ],
        "Impediment": [("Open", "Proposed", "b2b2b2"), ("Closed", "Completed", "339933")],
    },
    "Basic": {
        "Epic": [
            ("To Do", "Proposed", "b2b2b2"),
            ("Doing", "InProgress", "007acc"),
            ("Done", "Completed", "339933"),
        ],
        "Issue": [
            ("To Do", "Proposed", "b2b2b2"),
            ("Doing", "InProgress", "007acc"),
            ("Done", "Completed", "339933"),
        ],
        "Task": [
            ("To Do", "Proposed", "b2b2b2"),
            ("Doing", "InProgress", "007acc"),
            ("Done", "Completed", "339933"),
        ],
    },
    "CMMI": {
        "Epic": [
            ("Proposed", "Proposed", "b2b2b2"),
            ("Active", "InProgress", "007acc"),
            ("Resolved", "Resolved", "ff9d00"),
            ("Closed", "Completed", "339933"),
        ],
        "Feature": [
            ("Proposed", "Proposed", "b2b2b2"),
            ("Active", "InProgress", "007acc"),
            ("Resolved", "Resolved", "ff9d00"),
            ("Closed", "Completed", "339933"),
        ],
        "Requirement": [
            ("Proposed", "Proposed", "b2b2b2"),
            ("Active", "InProgress", "007acc"),
            ("Resolved", "Resolved", "ff9d00"),
            ("Closed", "Completed", "339933"),
        ],
        "Task": [
            ("Proposed", "Proposed", "b2b2b2"),
            ("Active", "InProgress", "007acc"),
            ("Resolved", "Resolved", "ff9d00"),
            ("Closed", "Completed", "339933"),
        ],
        "Bug": [
            ("Proposed", "Proposed", "b2b2b2"),
            ("Active", "InProgress", "007acc"),
            ("Resolved", "Resolved", "ff9d00"),
            ("Closed", "Completed", "339933"),
        ],
    },
}
# Types every process has besides its backlog types.
COMMON_TYPES = {
    "Test Case": [
        ("Design", "Proposed", "b2b2b2"),
        ("Ready", "InProgress", "007acc"),
        ("Closed", "Completed", "339933"),
    ],
    "Shared Steps": [("Active", "InProgress", "007acc"), ("Closed", "Completed", "339933")],
    "Test Plan": [("Active", "InProgress", "007acc"), ("Inactive", "Completed", "339933")],
    "Test Suite": [
        ("In Planning", "Proposed", "b2b2b2"),
        ("In Progress", "InProgress", "007acc"),
        ("Completed", "Completed", "339933"),
    ],
}

TYPE_CATEGORIES = {
    "Epic": "Microsoft.EpicCategory",
    "Feature": "Microsoft.FeatureCategory",
    "User Story": "Microsoft.RequirementCategory",
    "Product Backlog Item": "Microsoft.RequirementCategory",
    "Requirement": "Microsoft.RequirementCategory",
    "Issue": "Microsoft.RequirementCategory",
    "Task": "Microsoft.TaskCategory",
    "Bug": "Microsoft.BugCategory",
    "Test Case": "Microsoft.TestCaseCategory",
    "Shared Steps": "Microsoft.SharedStepCategory",
    "Impediment": "Microsoft.HiddenCategory",
}


def guess_category(state: str) -> str:
    s = state.lower()
    if s in ("done", "closed", "completed", "inactive", "resolved and closed"):
        return "Completed"
    if s in ("removed", "cut", "abandoned", "cancelled", "canceled"):
        return "Removed"
    if s in ("resolved",):
        return "Resolved"
    if s in ("new", "to do", "proposed", "approved", "design", "open", "in planning"):
        return "Proposed"
    return "InProgress"


def guess_process(type_names: set[str]) -> str:
    if "Product Backlog Item" in type_names:
        return "Scrum"
    if "Requirement" in type_names:
        return "CMMI"
    if "User Story" in type_names:
        return "Agile"
    if "Issue" in type_names and not type_names & {"Feature", "Bug"}:
        return "Basic"
    return "Agile"


_STATE_CATEGORIES = ("Proposed", "InProgress", "Resolved", "Completed", "Removed")
_BACKLOG_CATEGORIES = (
    "Microsoft.EpicCategory",
    "Microsoft.FeatureCategory",
    "Microsoft.RequirementCategory",
    "Microsoft.TaskCategory",
    "Microsoft.BugCategory",
)


def inherited_process(definition: dict) -> tuple[str, dict[str, list[tuple[str, str, str]]], dict[str, str]]:
    """A project.json ``processDefinition``: an inherited process (``parent``: Agile, Scrum, CMMI or
    Basic) whose ``disabled`` system types are hidden and whose ``workItemTypes`` ({name, category,
    states: [{name, category}]}) are added, as an organisation that renames its requirement type does.
    Returns the parent, the types with their states, and each added type's category."""
    parent = definition.get("parent", "Agile")
    if parent not in PROCESS_TYPES:
        raise ValueError(f"processDefinition.parent {parent!r}: expected one of {', '.join(PROCESS_TYPES)}")
    disabled = definition.get("disabled") or []
    if not isinstance(disabled, list) or not all(isinstance(t, str) for t in disabled):
        raise ValueError("processDefinition.disabled: expected a list of work item type names")
    types = {t: states for t, states in PROCESS_TYPES[parent].items() if t not in disabled}
    categories: dict[str, str] = {}
    for i, entry in enumerate(definition.get("workItemTypes") or []):
        where = f"processDefinition.workItemTypes[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
            raise ValueError(f"{where}.name: expected a work item type name")
        if entry.get("category") not in _BACKLOG_CATEGORIES:
            raise ValueError(f"{where}.category: expected one of {', '.join(_BACKLOG_CATEGORIES)}")
        states = entry.get("states")
        if not isinstance(states, list) or not states:
            raise ValueError(f"{where}.states: expected a list of {{name, category}}")
        for j, state in enumerate(states):
            if not isinstance(state, dict) or not isinstance(state.get("name"), str):
                raise ValueError(f"{where}.states[{j}].name: expected a state name")
            if state.get("category") not in _STATE_CATEGORIES:
                raise ValueError(
                    f"{where}.states[{j}].category: expected one of {', '.join(_STATE_CATEGORIES)}"
                )
        types[entry["name"]] = [(st["name"], st["category"], st.get("color", "b2b2b2")) for st in states]
        categories[entry["name"]] = entry["category"]
    return parent, types, categories


def type_states(
    process: str, observed: dict[str, set[str]], definition: dict | None = None
) -> tuple[dict[str, list[dict]], dict[str, str]]:
    """Each type's states with their categories, and each type's category (Microsoft.*Category)."""
    categories = dict(TYPE_CATEGORIES)
    if definition is not None:
        _parent, process_types, added = inherited_process(definition)
        base = dict(process_types)
        categories.update(added)
    else:
        base = dict(PROCESS_TYPES.get(process, PROCESS_TYPES["Agile"]))
    base.update(COMMON_TYPES)
    out: dict[str, list[dict]] = {}
    for t, states in base.items():
        out[t] = [{"name": n, "color": c, "category": cat} for n, cat, c in states]
    for t, seen in observed.items():
        lst = out.setdefault(t, [])
        known = {s["name"].lower() for s in lst}
        for s in sorted(seen):
            if s.lower() not in known:
                lst.append({"name": s, "color": "b2b2b2", "category": guess_category(s)})
    return out, {t: categories.get(t, "Microsoft.HiddenCategory") for t in out}
