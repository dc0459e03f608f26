"""Acting as a person on a sandbox tracker (``poalign sandbox act``, ``POST /_sandbox/act``).

``act(state, person, "comment", "CHK-23", "/poalign commit CHK Sprint 2")`` writes the comment as that
person, ``act(state, person, "move", "5118", "Iteration 33")`` moves the item to a sprint/iteration (or
``"backlog"``). The person's account is made on first use when the world has none (Jira: an account id,
name and display name; ADO: an identity with a unique name), so the comment's author is what the real
tracker would show, and the change goes out as the webhooks the real tracker sends (comment_created and
jira:issue_updated; workitem.commented and workitem.updated).

The item is a Jira key or an ADO work item id, found on every site and organization of the world, or on
``tenant`` only when it is given.
"""

from __future__ import annotations

from typing import Any

from .script import ScriptError

ACTIONS = ("comment", "move")


def act(state: Any, person: str, action: str, item: str, value: str, tenant: str | None = None) -> dict:
    person, item = person.strip(), item.strip()
    if not person:
        raise ScriptError(400, "say who acts: a person's name (or e-mail)")
    if action not in ACTIONS:
        raise ScriptError(400, f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")
    if item.isdigit():
        return _ado(state, person, action, int(item), value, tenant)
    return _jira(state, person, action, item, value, tenant)


def _jira(state: Any, person: str, action: str, key: str, value: str, tenant: str | None) -> dict:
    sites = [s for name, s in state.world.jira.items() if tenant in (None, name) and s.get(key) is not None]
    if not sites:
        raise ScriptError(404, f"no issue {key} on {'Jira site ' + tenant if tenant else 'any Jira site'}")
    script = state.jira_script(sites[0].name)
    if action == "comment":
        comment_id = script.comment(key, value, actor=person)
        done: dict[str, Any] = {"comment": comment_id}
    else:
        sprint = None if value.strip().lower() == "backlog" else value.strip()
        done = script.update(key, sprint=sprint, actor=person)
    user = state.jira_user(person, sites[0].options.get("userTimeZone", "UTC"))
    return {"tracker": "jira", "tenant": sites[0].name, "item": key, "as": user, **done}


def _ado(state: Any, person: str, action: str, wid: int, value: str, tenant: str | None) -> dict:
    orgs = [o for name, o in state.world.ado.items() if tenant in (None, name) and wid in o.items]
    if not orgs:
        raise ScriptError(
            404, f"no work item {wid} in {'organization ' + tenant if tenant else 'any organization'}"
        )
    script = state.ado_script(orgs[0].name)
    if action == "comment":
        rev = script.update(wid, comment=value, actor=person)
    else:
        project = script.item(wid).project
        target = value.strip()
        path = (
            project if target.lower() == "backlog" else target if "\\" in target else f"{project}\\{target}"
        )
        rev = script.update(wid, iteration=path, actor=person)
    return {
        "tracker": "azure-devops",
        "tenant": orgs[0].name,
        "item": str(wid),
        "as": state.ado_identity(person),
        "rev": rev,
    }
