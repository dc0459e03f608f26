"""The config-out's ADO teams own the area paths their team settings (TeamFieldValues) name."""

from __future__ import annotations

from sandbox.ado.org import Team
from sandbox.config_out import build_config, owned_area
from sandbox.testing import small_world


def test_a_team_owns_the_area_its_team_field_values_name_not_its_default_value() -> None:
    # defaultValue is where new items go; the values are what the team's backlog shows.
    web = Team("1", "Web", area_paths=[("Shop\\Web", True)], default_area="Shop")
    assert owned_area(web) == "Shop\\Web"
    both = Team(
        "2", "Apps", area_paths=[("Shop\\Ios", False), ("Shop\\Android", True)], default_area="Shop\\Android"
    )
    assert owned_area(both) == "Shop\\Android"
    assert owned_area(Team("3", "Bare", default_area="Shop\\Bare")) == "Shop\\Bare"


def test_build_config_maps_each_ado_team_to_its_team_settings_area() -> None:
    world = small_world()
    project = world.ado["contoso"].projects["project a"]
    north = project.team("Project A Team North")
    assert north is not None
    north.area_paths, north.default_area = [("Project A\\Checkout", True)], "Project A"
    config, _ = build_config(
        world,
        {tenant: f"http://127.0.0.1:1/{tenant}" for tenant in world.jira},
        {tenant: f"http://127.0.0.1:2/{tenant}" for tenant in world.ado},
        dict.fromkeys(world.jira, "cloud"),
        token="t",
        webhook_secret="s",
        ado_webhook_user="u",
        ado_webhook_password="p",
    )
    teams = {team["name"]: team["scope"] for team in config["teams"]}
    assert teams["Project A Team North"] == {
        "project": "Project A",
        "area_path": "Project A\\Checkout",
        "team": "Project A Team North",
    }
    assert "area_path" not in teams["Project A Team"]  # the default team owns the rest of the project
