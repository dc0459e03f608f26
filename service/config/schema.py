"""The shape of poalign.yaml. Unknown keys are errors, so a typo never silently reads as a default."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from connectors.registry import kinds, tracker

SLUG = r"^[a-z0-9][a-z0-9-]*$"
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
EnvName = Annotated[str, Field(pattern=ENV_NAME, description="name of an environment variable")]
Severity = Literal["info", "low", "medium", "high", "critical"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseConfig(Strict):
    url: str | None = Field(
        None, description="SQLAlchemy URL; relative sqlite paths resolve beside the config"
    )
    url_env: EnvName | None = Field(
        None, description="environment variable holding the URL (use it when the URL has a password)"
    )

    @model_validator(mode="after")
    def _one_of(self) -> DatabaseConfig:
        if self.url and self.url_env:
            raise ValueError("give either url or url_env, not both")
        return self

    @field_validator("url")
    @classmethod
    def _no_password(cls, url: str | None) -> str | None:
        if url and re.match(r"^[\w+]+://[^/@\s]*:[^/@\s]+@", url):
            raise ValueError(
                "the URL carries a password; put the whole URL in an environment variable (url_env)"
            )
        return url


class AuthConfig(Strict):
    """A source's credentials. Which keys each scheme takes is service.config.auth_keys.SCHEME_KEYS:
    the loader names a missing or extra key with its line and lists what the scheme takes."""

    scheme: Literal["basic", "bearer", "entra", "scoped-token", "oauth"] = Field(
        "basic",
        description="jira cloud: basic (email + API token), scoped-token (a scoped API token or service "
        "account, through the api.atlassian.com gateway) or oauth (an OAuth 2.0 3LO app's rotating "
        "refresh token, kept encrypted in the store); jira data center: bearer (PAT); "
        "ADO: entra (a Microsoft Entra ID service principal or managed identity) or basic (PAT)",
    )
    user_env: EnvName | None = Field(None, description="variable with the user/e-mail (jira basic auth)")
    token_env: EnvName | None = Field(None, description="variable with the API token or PAT (basic, bearer)")
    token_expires: date | None = Field(
        None,
        description="basic, bearer, scoped-token: the day the token expires (Atlassian API tokens live a "
        "year at most), so `config validate` warns before it does",
    )
    # scheme: entra (Azure DevOps)
    credential: Literal["client-secret", "certificate", "workload-identity", "managed-identity"] = Field(
        "client-secret", description="entra: how the identity proves itself"
    )
    tenant_id: str | None = Field(None, description="entra: the directory (tenant) id")
    client_id: str | None = Field(
        None,
        description="entra: the application (client) id; managed-identity: a user-assigned one; "
        "oauth: the app's client id (developer console)",
    )
    client_secret_env: EnvName | None = Field(
        None, description="entra client-secret, oauth: variable with the app's secret"
    )
    secret_expires: date | None = Field(
        None,
        description="entra client-secret: the secret's expiry (the app registration's Certificates & "
        "secrets page), so `config validate` warns before it does",
    )
    certificate_path: str | None = Field(
        None, description="entra certificate: PEM with the private key (relative paths beside the config)"
    )
    authority_host: str = Field(
        "https://login.microsoftonline.com", description="entra: the token service (sovereign clouds differ)"
    )
    ca_bundle: str | None = Field(
        None, description="entra: a CA bundle to trust for the token service (a TLS-inspecting proxy's CA)"
    )
    gateway_url: str = Field(
        "https://api.atlassian.com",
        description="scoped-token, oauth: the gateway API calls go through (links shown to people stay on url)",
    )
    token_url: str = Field(
        "https://auth.atlassian.com/oauth/token", description="oauth: the token endpoint refreshes go to"
    )
    token_key_env: EnvName = Field(
        "POALIGN_GRANT_KEY",
        description="oauth: variable with the Fernet key the stored refresh token is encrypted with",
    )

    @model_validator(mode="after")
    def _https_token_services(self) -> AuthConfig:
        if self.scheme == "entra" and not self.authority_host.startswith("https://"):
            raise ValueError("authority_host must be an https:// URL (token services speak nothing else)")
        loopback = re.match(r"^http://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?/", self.token_url)
        if self.scheme == "oauth" and not (self.token_url.startswith("https://") or loopback):
            raise ValueError("token_url must be an https:// URL (a refresh token never travels in clear)")
        return self


class WebhookConfig(Strict):
    secret_env: EnvName | None = Field(
        None, description="jira: HMAC secret for X-Hub-Signature; ADO: header secret"
    )
    username_env: EnvName | None = Field(None, description="ADO service hook basic-auth user")
    password_env: EnvName | None = Field(None, description="ADO service hook basic-auth password")
    header: str | None = Field(None, description="ADO: name of a custom header carrying secret_env's value")
    max_body_bytes: int = Field(1_000_000, gt=0)
    # Token buckets (service.webhook_limits); the defaults only ever stop a flood: one process takes in
    # about 2,000 deliveries/s, and a tracker sends far fewer.
    rate_limit_per_second: float = Field(
        5000.0, gt=0, le=1_000_000, description="verified deliveries per second accepted from this source"
    )
    burst: int = Field(10_000, ge=1, le=10_000_000, description="verified deliveries accepted at once")
    client_rate_limit_per_second: float = Field(
        5000.0, gt=0, le=1_000_000, description="requests per second from one client address (checked first)"
    )
    client_burst: int = Field(10_000, ge=1, le=10_000_000, description="requests at once from one address")


class SourceWritebackConfig(Strict):
    enabled: bool | None = Field(None, description="overrides writeback.enabled for this source")
    dry_run: bool | None = None
    writes_per_minute: int | None = Field(None, gt=0)


ItemTypeName = Literal["epic", "feature", "story", "task", "bug", "other"]
StateCategoryName = Literal["todo", "in_progress", "done", "removed"]
ResolutionRef = Annotated[str, Field(min_length=1, max_length=200)] | int


class ResolutionSets(Strict):
    """Which resolutions mean the work was delivered and which not, by id or name: what a site calls
    "Erledigt" or 完成, or a resolution the organisation invented. Jira Cloud's default ids (10000 Done,
    10001 Won't Do, 10002 Duplicate, 10003 Cannot Reproduce) are known without this."""

    delivered: list[ResolutionRef] = Field(default_factory=list, description="resolution ids or names")
    not_delivered: list[ResolutionRef] = Field(default_factory=list, description="resolution ids or names")

    @model_validator(mode="after")
    def _disjoint(self) -> ResolutionSets:
        both = {str(v).lower() for v in self.delivered} & {str(v).lower() for v in self.not_delivered}
        if both:
            raise ValueError(f"in both delivered and not_delivered: {', '.join(sorted(both))}")
        return self


class SourceConfig(Strict):
    name: str = Field(pattern=SLUG)
    kind: str = Field(description="the tracker kind: one registered in connectors.registry")
    url: str = Field(description="API base URL; for ADO the organization URL")
    deployment: Literal["cloud", "datacenter", "detect"] = "detect"
    auth: AuthConfig
    webhook: WebhookConfig | None = None
    aliases: list[str] = Field(default_factory=list, description="other base URLs of this tracker")
    fields: dict[str, str] = Field(
        default_factory=dict, description="logical name -> tracker field name or id (story_points, rank, ...)"
    )
    timeout_seconds: float = Field(30.0, gt=0, le=3600)
    concurrency: int = Field(8, ge=1, le=64)
    max_retries: int = Field(5, ge=0, le=20)
    page_size: int = Field(100, ge=1, le=5000)
    lookback_minutes: int = Field(2, ge=0, le=10_080)
    remote_links: Literal["auto", "always", "off"] = Field(
        "auto",
        description=(
            "jira: whose web links a sync reads (one request an issue): auto, those whose changelog "
            "shows web links; always, every new or changed issue; off, none (true/false: always/off)"
        ),
    )
    writeback: SourceWritebackConfig = Field(default_factory=SourceWritebackConfig)
    types: dict[Annotated[str, Field(min_length=1, max_length=200)], ItemTypeName] = Field(
        default_factory=dict,
        description="raw item type name -> epic|feature|story|task|bug|other, for what the tracker's "
        "structure cannot tell (story and bug sit at the same level); wins over everything else",
    )
    resolutions: ResolutionSets = Field(default_factory=ResolutionSets)
    status_categories: dict[Annotated[str, Field(min_length=1, max_length=200)], StateCategoryName] = Field(
        default_factory=dict,
        description="status name -> todo|in_progress|done|removed, the last resort for statuses that "
        "neither the item nor the tracker's status list gives a category",
    )

    @field_validator("remote_links", mode="before")
    @classmethod
    def _remote_links_as_before(cls, value: object) -> object:
        # Older configs say true/false (YAML reads a bare `off` as false, too).
        if isinstance(value, bool):
            return "always" if value else "off"
        return value

    @field_validator("kind")
    @classmethod
    def _registered(cls, kind: str) -> str:
        if kind not in kinds():
            *others, last = [repr(name) for name in kinds()]
            expected = f"{', '.join(others)} or {last}" if others else last
            # the error a Literal of the kinds gives, so the loader words it the same way
            raise PydanticCustomError("literal_error", "Input should be {expected}", {"expected": expected})
        return kind

    @field_validator("url", "aliases")
    @classmethod
    def _http_url(cls, value: str | list[str]) -> str | list[str]:
        for url in [value] if isinstance(value, str) else value:
            if not re.match(r"^https?://[^\s/]+", url):
                raise ValueError(f"{url!r} is not an http(s) URL")
            if re.match(r"^https?://[^/@\s]+:[^/@\s]+@", url):
                raise ValueError("the URL carries a password; put credentials in auth.token_env instead")
        return value

    @model_validator(mode="after")
    def _kind_specific(self) -> SourceConfig:
        if self.deployment != "detect" and not tracker(self.kind).deployments:
            knowing = " and ".join(kind for kind in kinds() if tracker(kind).deployments)
            raise ValueError(f"deployment applies to {knowing} sources only")
        schemes = tracker(self.kind).auth_schemes
        if self.auth.scheme not in schemes:
            raise ValueError(
                f"auth.scheme {self.auth.scheme} is not one a {self.kind} source speaks: {', '.join(sorted(schemes))}"
            )
        return self


class TeamScope(Strict):
    project: str = Field(min_length=1, description="Jira project key or ADO project name")
    jql: str | None = Field(None, description="jira: extra JQL that narrows the project")
    area_path: str | None = Field(None, description="ADO: area path (and everything under it)")
    team: str | None = Field(None, description="ADO: team whose iterations apply")


class DodCheckConfig(Strict):
    check: Literal[
        "field_present",
        "resolution_in",
        "label_present",
        "no_open_children",
        "story_points_set",
        "linked_item_of_type",
        "checklist_complete",
    ]
    name: str | None = Field(None, description="how reports call this check")
    field: str | None = None
    values: list[str] | None = None
    label: str | None = None
    item_type: str | None = None
    applies_to: list[str] = Field(
        default_factory=list, description="item types the check applies to (empty: all)"
    )

    @model_validator(mode="after")
    def _arguments(self) -> DodCheckConfig:
        needs = {
            "field_present": "field",
            "checklist_complete": "field",
            "resolution_in": "values",
        }
        argument = needs.get(self.check)
        if argument and getattr(self, argument) in (None, [], ""):
            raise ValueError(f"check {self.check!r} needs {argument!r}")
        if self.check == "label_present" and not (self.label or self.values):
            raise ValueError("check 'label_present' needs 'label' (or 'values')")
        if self.check == "linked_item_of_type" and not (self.item_type or self.values):
            raise ValueError("check 'linked_item_of_type' needs 'item_type' (or 'values')")
        return self


class TeamConfig(Strict):
    name: str = Field(min_length=1)
    product_owner: str | None = None
    product_owner_accounts: list[str] = Field(
        default_factory=list,
        description="the PO's tracker accounts (account id, e-mail or display name) besides product_owner",
    )
    delegates: list[str] = Field(
        default_factory=list,
        description="who else may commit or decline for the team by comment (account id, e-mail or name)",
    )
    source: str = Field(pattern=SLUG)
    scope: TeamScope
    capacity: float | None = Field(
        None,
        ge=0,
        le=100_000,
        description="story points the team takes per sprint; default: its trailing velocity (planning)",
    )


class RuleSetting(Strict):
    enabled: bool = True
    severity: Severity | None = None


class TeamPolicy(Strict):
    definition_of_done: list[DodCheckConfig] | None = None


class PolicyConfig(Strict):
    definition_of_done: list[DodCheckConfig] | None = Field(
        None, description="the shared Definition of Done; omitted = poalign's defaults"
    )
    teams: dict[str, TeamPolicy] = Field(default_factory=dict, description="per-team overrides")
    priority_scale: dict[str, dict[str, Annotated[int, Field(ge=1, le=5)]]] = Field(
        default_factory=dict,
        description="per source name or kind (jira, azure-devops): raw priority -> 1 (highest) .. 5 (lowest)",
    )
    planning_horizon_days: int | None = Field(None, gt=0, le=3650)
    priority_gap: int | None = Field(None, ge=1, le=4)
    top_priority_share: float | None = Field(None, gt=0, le=1)
    committed_range: int | None = Field(None, ge=1)
    far_down_position: int | None = Field(
        None, ge=2, description="PRI003: a rank position this deep is 'far down'"
    )
    top_priority_min_backlog: int | None = Field(
        None, ge=1, description="PRI004 ignores smaller open backlogs"
    )
    dod_inference_threshold: float | None = Field(
        None, gt=0, le=1, description="DOD002: share that counts as practice"
    )
    done_lookback_days: int | None = Field(
        None, ge=0, le=3650, description="DoD rules judge items done within this many days"
    )
    dropped_resolutions: list[str] | None = Field(
        None,
        description="resolution names meaning 'not delivered' (any case); replaces the defaults: Won't Do, "
        "Won't Fix, Duplicate, Invalid, Cannot Reproduce, Incomplete, Not Our Bug, Needs more info, Hold, ...",
    )
    escalation_days: int = Field(
        14, ge=0, le=3650, description="after this age a finding is escalated to the Chief PO"
    )
    roadmap_epics: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list,
        description="ROA002: the epics/features of the product's roadmap (keys or source:key); "
        "empty: every epic and feature",
    )
    suppress_label: str = Field(
        "poalign-accepted", description="label/tag that suppresses findings on an item"
    )
    rules: dict[str, RuleSetting] = Field(
        default_factory=dict, description="per rule code: enabled, severity"
    )


class WritebackConfig(Strict):
    enabled: bool = False
    dry_run: bool = False
    label_prefix: str = Field("poalign-", min_length=1)
    on_resolved: Literal["note", "delete"] = "note"
    writes_per_minute: int = Field(120, gt=0)
    min_severity: Severity = "low"


class ScheduleConfig(Strict):
    # Upper bounds keep every period a datetime can add or subtract (a huge value would pass
    # validation and then crash the scheduler).
    incremental_sync_minutes: int = Field(15, gt=0, le=10_080)
    full_sync_cron: str = "0 2 * * *"
    inbox_drain_seconds: int = Field(2, gt=0, le=3600)
    annotate_seconds: int = Field(30, gt=0, le=86_400)
    report_cron: str = "0 8 * * mon"
    retention_days: int = Field(90, gt=0, le=36_500)
    timezone: str = "UTC"

    @field_validator("full_sync_cron", "report_cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(value)
        except ValueError as error:
            raise ValueError(f"not a crontab expression (minute hour day month weekday): {error}") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)"
            ) from None
        return value


class ReportTarget(Strict):
    kind: Literal["generic", "slack", "teams"] = "generic"
    url_env: EnvName = Field(description="variable holding the URL (chat webhook URLs are secrets)")
    allow_private_network: bool = Field(False, description="permit loopback/private/link-local targets")


class ReportsConfig(Strict):
    deliver_to: list[ReportTarget] = Field(default_factory=list)
    title: str = "PO sync"


class CheckConfig(Strict):
    sources_max_age_hours: float = Field(
        default=24.0,
        gt=0,
        le=8760,
        description="`poalign check` exits 3 when a source in scope last synced successfully longer ago",
    )


class PlanningConfig(Strict):
    velocity_window: int = Field(
        3,
        ge=1,
        le=52,
        description="finished sprints whose done points give a team's capacity (`whatif`, `suggest`)",
    )
    hours_per_point: float = Field(
        6.0,
        gt=0,
        le=200,
        description="a tracker's sprint capacity in hours (ADO Capacity tab) counts one story point per this many hours",
    )
    suggest_in_comments: bool = Field(
        True,
        description="annotate adds the best suggested plan to each clash's comment (one suggest run per annotate)",
    )


class ApiConfig(Strict):
    token_env: EnvName = "POALIGN_API_TOKEN"  # noqa: S105  (the name of a variable, not a secret)


RoleName = Literal["viewer", "po", "chief-po", "admin"]


class AccessConfig(Strict):
    """Roles of people who sign on (service.access): from their identity provider's groups, and po for
    the teams whose product_owner (or product_owner_accounts) they are."""

    roles: dict[RoleName, list[Annotated[str, Field(min_length=1, max_length=300)]]] = Field(
        default_factory=dict,
        description="role -> identity-provider groups (or other values of groups_claim) that grant it; "
        "the highest role a person's groups grant wins",
    )
    groups_claim: str = Field(
        "groups", min_length=1, max_length=100, description="the id token claim with the groups"
    )
    default_role: RoleName | None = Field(
        "viewer", description="the role of a signed-on person no group or team names; null: refused"
    )


class OidcConfig(Strict):
    """OpenID Connect sign-on for the dashboard (authorization code with PKCE)."""

    issuer: str = Field(
        description="the provider's issuer URL; <issuer>/.well-known/openid-configuration is read"
    )
    client_id: str = Field(min_length=1, max_length=300)
    client_secret_env: EnvName | None = Field(
        None, description="variable with the client secret (none: a public client, PKCE only)"
    )
    session_secret_env: EnvName = Field(
        "POALIGN_SESSION_SECRET",
        description="variable with the key that signs session cookies (the same on every replica)",
    )
    scopes: list[str] = Field(default_factory=lambda: ["openid", "profile", "email"])
    session_hours: float = Field(12, gt=0, le=24 * 30, description="how long a sign-on lasts")
    person_claims: list[str] = Field(
        default_factory=lambda: ["preferred_username", "email", "name", "sub"],
        description="id token claims matched against teams' product_owner and product_owner_accounts",
    )
    provider_name: str = Field(
        "your identity provider", max_length=100, description="shown on the login page"
    )

    @field_validator("issuer")
    @classmethod
    def _issuer_url(cls, url: str) -> str:
        if not re.match(r"^https?://[^\s/?#@]+(/[^\s?#]*)?$", url):
            raise ValueError(f"{url!r} is not an http(s) issuer URL (no credentials, query or fragment)")
        return url.rstrip("/")


class ServiceConfig(Strict):
    public_url: str | None = Field(
        None,
        description=(
            "the base URL trackers reach `poalign serve` at (https://poalign.example.com); "
            "`poalign hooks install` registers <public_url>/webhooks/<kind>/<source>"
        ),
    )

    @field_validator("public_url")
    @classmethod
    def _http_base(cls, url: str | None) -> str | None:
        if url is not None and not re.match(r"^https?://[^\s/?#@]+(/[^\s?#]*)?$", url):
            raise ValueError(f"{url!r} is not an http(s) base URL (no credentials, query or fragment)")
        return url


class Config(Strict):
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    chief_product_owner: str | None = None
    sources: list[SourceConfig] = Field(default_factory=list)
    teams: list[TeamConfig] = Field(default_factory=list)
    policy: PolicyConfig = Field(default_factory=PolicyConfig)
    writeback: WritebackConfig = Field(default_factory=WritebackConfig)
    schedule: ScheduleConfig = Field(default_factory=ScheduleConfig)
    reports: ReportsConfig = Field(default_factory=ReportsConfig)
    check: CheckConfig = Field(default_factory=CheckConfig)
    api: ApiConfig = Field(default_factory=ApiConfig)
    planning: PlanningConfig = Field(default_factory=PlanningConfig)
    service: ServiceConfig = Field(default_factory=ServiceConfig)
    access: AccessConfig = Field(default_factory=AccessConfig)
    oidc: OidcConfig | None = None

    @model_validator(mode="after")
    def _references(self) -> Config:
        names = [source.name for source in self.sources]
        duplicates = {name for name in names if names.count(name) > 1}
        if duplicates:
            raise ValueError(f"source names must be unique; repeated: {', '.join(sorted(duplicates))}")
        team_names = [team.name for team in self.teams]
        repeated = {name for name in team_names if team_names.count(name) > 1}
        if repeated:
            raise ValueError(f"team names must be unique; repeated: {', '.join(sorted(repeated))}")
        return self

    def source(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)
