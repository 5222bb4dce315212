# Generated from checkers/facts_schema.json by scripts/facts_types.py: do not edit by hand.
# (Long because generated: one class for each object of the facts schema.)
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

SCHEMA_FILE: Path

class UnknownFact(LookupError): ...

def schema() -> dict[str, Any]: ...
def fallback(value: Any, default: Any) -> Any: ...
def wrap(value: Any, node: dict[str, Any]) -> Any: ...
def plain(value: Any) -> Any: ...

class View(Mapping[str, Any]):
    def __init__(self, data: Mapping[str, Any], node: dict[str, Any]) -> None: ...
    def __getitem__(self, key: str) -> Any: ...
    def __iter__(self) -> Iterator[str]: ...
    def __len__(self) -> int: ...
    @property
    def raw(self) -> Mapping[str, Any]: ...


class Access(View):
    error: str | None
    results: list[dict[str, Any]]
    user: str | None


class App(View):
    env_names: list[str]
    error: str | None
    exec_in_venv: str | None
    exec_missing: str | None
    exists: bool | None
    group: str | None
    gunicorn: AppGunicorn
    interpreter: str | None
    manage_py: bool | None
    newest_source: AppNewestSource
    project_dir: str | None
    settings_module: str | None
    settings_source: str | None
    source: str | None
    unit: str | None
    unit_workdir: str | None
    user: str | None
    user_missing: bool | None


class AppGunicorn(View):
    app: str | None
    binds: list[str]
    chdir: str | None
    config: str | None
    pythonpath: str | None
    workers: int | None


class AppNewestSource(View):
    mtime: float | None
    path: str | None


class Appengine(View):
    app_yaml: AppengineAppYaml
    exists: bool | None
    files: AppengineFiles
    ignore: AppengineIgnore
    local_databases: list[Any]
    main_py: AppengineMainPy
    project_dir: str | None
    requirements: AppengineRequirements
    sandbox: AppengineSandbox
    settings_ast: AppengineSettingsAst
    settings_module: str | None


class AppengineAppYaml(View):
    env_names: list[str]
    text: str | None
    def __getattr__(self, name: str) -> Any: ...


class AppengineFiles(View):
    def __getitem__(self, key: str) -> bool | None: ...
    def __getattr__(self, name: str) -> Any: ...


class AppengineIgnore(View):
    def __getitem__(self, key: str) -> list[str]: ...
    def __getattr__(self, name: str) -> Any: ...


class AppengineMainPy(View):
    app_from: str | None
    defines_app: bool | None
    exists: bool | None
    def __getattr__(self, name: str) -> Any: ...


class AppengineRequirements(View):
    exists: bool | None
    includes: list[Any]
    packages: list[dict[str, Any]]
    def __getattr__(self, name: str) -> Any: ...


class AppengineSandbox(View):
    database_url: str | None
    env_names: list[str]
    def __getattr__(self, name: str) -> Any: ...


class AppengineSettingsAst(View):
    engines: list[str]
    env_db: bool | None
    env_reads: list[dict[str, Any]]
    files: list[str]
    imports: list[str]
    insecure_literal: list[Any]
    password_literals: list[Any]
    secret_key: AppengineSettingsAstSecretKey
    url_literals: list[Any]
    def __getattr__(self, name: str) -> Any: ...


class AppengineSettingsAstSecretKey(View):
    file: str | None
    kind: str | None
    line: int | None
    def __getattr__(self, name: str) -> Any: ...


class Denied(View):
    denied_at: str | None
    error: str | None
    mode: str | None
    path: str | None
    state: str | None
    user: str | None
    user_uid: int | None


class Django(View):
    app_user_denied: DjangoAppUserDenied
    database: DjangoDatabase
    deploy_check: DjangoDeployCheck
    django_version: str | None
    executable: str | None
    inspect_error: Error
    media: DjangoMedia
    not_run: str | None
    packages: DjangoPackages
    python: str | None
    ran_as: str | None
    rc: int | None
    secret_key: DjangoSecretKey
    settings: DjangoSettings
    settings_error: Error
    settings_file: str | None
    settings_module: str | None
    started_early: bool | None
    static: DjangoStatic
    stderr: str | None
    stderr_tail: str | None
    stopped_at: DjangoStoppedAt
    timings: DjangoTimings


class DjangoAppUserDenied(View):
    error: str | None
    user: str | None


class DjangoDatabase(View):
    connect: DjangoDatabaseConnect
    engine: str | None
    error: Error
    host: str | None
    migrations_error: Error
    name: str | None
    password_set: bool | None
    port: str | None
    server: DjangoDatabaseServer
    unapplied_migrations: list[str]
    user: str | None


class DjangoDatabaseConnect(View):
    error: Error
    ok: bool | None
    skipped: str | None
    vendor: str | None


class DjangoDatabaseServer(View):
    def __getattr__(self, name: str) -> Any: ...


class DjangoDeployCheck(View):
    error: Error
    messages: list[dict[str, Any]]


class DjangoMedia(View):
    absolute: bool | None
    checked_by: str | None
    error: Error
    exists: bool | None
    files: int | None
    is_dir: bool | None
    overlaps_static: bool | None
    realpath: str | None
    root: str | None
    root_denied: Denied
    sample: DjangoMediaSample
    url: str | None


class DjangoMediaSample(View):
    path: str | None
    sha256: str | None
    unreadable: str | None


class DjangoPackages(View):
    def __getitem__(self, key: str) -> str | None: ...
    def __getattr__(self, name: str) -> Any: ...


class DjangoSecretKey(View):
    distinct: int | None
    error: Error
    from_environment: bool | None
    git_repository: bool | None
    in_settings_source: bool | None
    in_versioned_files: list[str]
    insecure_prefix: bool | None
    length: int | None
    literal_in_settings: bool | None
    placeholder: bool | None


class DjangoSettings(View):
    ALLOWED_HOSTS: list[str]
    CSRF_TRUSTED_ORIGINS: list[str]
    DEBUG: bool | float | int | str | None
    INSTALLED_APPS: list[str]
    MIDDLEWARE: list[str]
    ROOT_URLCONF: str | None
    SECURE_PROXY_SSL_HEADER: list[str]
    SILENCED_SYSTEM_CHECKS: list[Any]
    WSGI_APPLICATION: str | None


class DjangoStatic(View):
    checked_by: str | None
    collides: bool | None
    dirs: list[Any]
    error: Error
    missing: list[Any]
    missing_count: int | None
    outdated: list[str]
    outdated_count: int | None
    root: str | None
    root_denied: Denied
    root_exists: bool | None
    sample: DjangoStaticSample
    sample_installed: DjangoStaticSampleInstalled
    source_files: int | None
    url: str | None


class DjangoStaticSample(View):
    path: str | None
    sha256: str | None
    unreadable: str | None


class DjangoStaticSampleInstalled(View):
    path: str | None
    sha256: str | None
    unreadable: str | None


class DjangoStoppedAt(View):
    file: str | None
    how: Any
    line: int | None


class DjangoTimings(View):
    def __getitem__(self, key: str) -> float | None: ...
    def __getattr__(self, name: str) -> Any: ...


class Dns(View):
    def __getitem__(self, key: str) -> DnsItem: ...
    def __getattr__(self, name: str) -> Any: ...


class DnsItem(View):
    addresses: list[Any]
    local: bool | None


class Error(View):
    file: str | None
    line: int | None
    message: str | None
    type: str | None


class Errors(View):
    def __getitem__(self, key: str) -> str | None: ...
    def __getattr__(self, name: str) -> Any: ...


class Facts(View):
    app: App
    appengine: Appengine
    django: Django
    dns: Dns
    errors: Errors
    gathered: Gathered
    http: Http
    kind: str | None
    listening: Listening
    live: Live
    nginx: Nginx
    packages: Packages
    params: Params
    paths: Paths
    postgres: Postgres
    probe: Probe
    processes: list[dict[str, Any]]
    schema: Any
    svs: Svs
    system: System
    systemd: Systemd
    def __init__(self, doc: Any) -> None: ...


class Gathered(View):
    at: float | None
    remote_executions: int | None
    requests: int | None
    seconds: float | None
    target: str | None


class Http(View):
    host: str | None
    upstream: HttpUpstream
    web: HttpWeb


class HttpUpstream(View):
    bad_host: Response
    endpoint: HttpUpstreamEndpoint
    home: Response


class HttpUpstreamEndpoint(View):
    host: str | None
    kind: str | None
    path: str | None
    port: int | None


class HttpWeb(View):
    admin_login: HttpWebAdminLogin
    bad_host: Response
    endpoint: HttpWebEndpoint
    home: Response
    media_file: Response
    media_links: list[str]
    media_missing: Response
    not_found: Response
    static_file: Response
    static_installed: Response
    static_linked: Response


class HttpWebAdminLogin(View):
    post: Response


class HttpWebEndpoint(View):
    host: str | None
    kind: str | None
    port: int | None


class Listening(View):
    tcp: list[dict[str, Any]]
    unix: list[dict[str, Any]]


class Live(View):
    admin_login: LiveAdminLogin
    bad_host: Response
    budget_exceeded: str | None
    cookies: list[dict[str, Any]]
    extra: LiveExtra
    fatal: LiveFatal
    given_scheme: str | None
    home: Response
    home_redirects: list[Any]
    host: str | None
    http_redirect: Response
    https_error: LiveHttpsError
    not_found: Response
    requests: int | None
    scheme: str | None
    seconds: float | None
    sensitive: LiveSensitive
    static: Response
    static_candidates: list[str]
    tls: LiveTls
    url: str | None


class LiveAdminLogin(View):
    post: Response


class LiveExtra(View):
    media_sample: Response


class LiveFatal(View):
    detail: str | None
    host: str | None
    kind: str | None
    port: int | str | None
    url: str | None


class LiveHttpsError(View):
    detail: str | None
    kind: str | None


class LiveSensitive(View):
    def __getitem__(self, key: str) -> LiveSensitiveItem: ...
    def __getattr__(self, name: str) -> Any: ...


class LiveSensitiveItem(View):
    body_length: int | None
    body_sha256: str | None
    content_type: str | None
    error: Any
    looks_like_file: bool | None
    same_as_home: bool | None
    status: int | None


class LiveTls(View):
    days_left: float | None
    issuer: str | None
    not_after: str | None
    subject: str | None
    version: str | None


class Nginx(View):
    binary: str | None
    conf_d: list[dict[str, Any]]
    config: NginxConfig
    error: str | None
    error_log: NginxErrorLog
    installed: bool | None
    newest_change: NginxNewestChange
    sites_available: list[dict[str, Any]]
    sites_enabled: list[dict[str, Any]]
    test: NginxTest
    user: str | None


class NginxConfig(View):
    directives: NginxConfigDirectives
    error_logs: list[str]
    errors: list[Any]
    files: list[str]
    servers: list[dict[str, Any]]
    upstreams: NginxConfigUpstreams
    user: str | None


class NginxConfigDirectives(View):
    def __getitem__(self, key: str) -> str | None: ...
    def __getattr__(self, name: str) -> Any: ...


class NginxConfigUpstreams(View):
    def __getitem__(self, key: str) -> list[str]: ...
    def __getattr__(self, name: str) -> Any: ...


class NginxErrorLog(View):
    def __getitem__(self, key: str) -> list[str]: ...
    def __getattr__(self, name: str) -> Any: ...


class NginxNewestChange(View):
    mtime: float | None
    path: str | None


class NginxTest(View):
    output: str | None
    rc: int | None
    timed_out: bool | None


class Packages(View):
    available: bool | None
    versions: PackagesVersions


class PackagesVersions(View):
    def __getitem__(self, key: str) -> str | None: ...
    def __getattr__(self, name: str) -> Any: ...


class Params(View):
    browser_port: int | None
    ca_file: bool | None
    django_timeout: int | None
    profile: str | None
    project: str | None
    project_explicit: bool | None
    site_host: str | None
    url: str | None
    def __getattr__(self, name: str) -> Any: ...


class Paths(View):
    app_user_access: Access
    chains: PathsChains
    web_user: str | None
    web_user_access: Access


class PathsChains(View):
    def __getitem__(self, key: str) -> list[dict[str, Any]]: ...
    def __getattr__(self, name: str) -> Any: ...


class Postgres(View):
    client: bool | None
    databases: list[dict[str, Any]]
    error: str | None
    logs: PostgresLogs
    roles: list[dict[str, Any]]
    skipped: str | None
    source: str | None
    version: str | None


class PostgresLogs(View):
    def __getitem__(self, key: str) -> list[str]: ...
    def __getattr__(self, name: str) -> Any: ...


class Probe(View):
    duration: float | None
    privileged: bool | None
    profile: str | None
    python: str | None
    started_at: float | None
    sudo: str | None
    timings: ProbeTimings
    user: str | None
    version: str | None


class ProbeTimings(View):
    def __getitem__(self, key: str) -> float | None: ...
    def __getattr__(self, name: str) -> Any: ...


class Response(View):
    attempts: int | None
    body_length: int | None
    body_sha256: str | None
    cookies: list[dict[str, Any]]
    django_headers: bool | None
    error: str | None
    error_detail: str | None
    expected_sha256: str | None
    headers: ResponseHeaders
    host: str | None
    host_sent: str | None
    markers: list[str]
    method: str | None
    path: str | None
    same_as_home: bool | None
    seconds: float | None
    servers: list[str]
    skipped: str | None
    status: int | None
    title: str | None
    url: str | None
    via: str | None


class ResponseHeaders(View):
    def __getitem__(self, key: str) -> str | None: ...
    def __getattr__(self, name: str) -> Any: ...


class Svs(View):
    account: SvsAccount
    caddy_conf: SvsCaddyConf
    caddy_root: SvsCaddyRoot
    domain: SvsDomain
    linger: SvsLinger
    listener: SvsListener
    media: SvsMedia
    pgpass: SvsPgpass
    project: SvsProject
    unit: SvsUnit
    unit_files: list[dict[str, Any]]
    user_manager: SvsUserManager


class SvsAccount(View):
    home: str | None
    name: str | None
    probe_is_account: bool | None
    uid: int | None
    def __getattr__(self, name: str) -> Any: ...


class SvsCaddyConf(View):
    exists: bool | None
    path: str | None
    port: int | None
    readable: bool | None
    serves_files_first: bool | None
    def __getattr__(self, name: str) -> Any: ...


class SvsCaddyRoot(View):
    entries: list[dict[str, Any]]
    exists: bool | None
    index_html: SvsCaddyRootIndexHtml
    mode: str | None
    owner: str | None
    path: str | None
    def __getattr__(self, name: str) -> Any: ...


class SvsCaddyRootIndexHtml(View):
    exists: bool | None
    placeholder: bool | None
    def __getattr__(self, name: str) -> Any: ...


class SvsDomain(View):
    file: str | None
    name: str | None
    source: str | None
    valid: bool | None
    def __getattr__(self, name: str) -> Any: ...


class SvsLinger(View):
    file: bool | None
    loginctl: str | None
    loginctl_error: Any
    def __getattr__(self, name: str) -> Any: ...


class SvsListener(View):
    addresses: list[str]
    kind: str | None
    listening: bool | None
    port: int | None
    processes: list[dict[str, Any]]
    def __getattr__(self, name: str) -> Any: ...


class SvsMedia(View):
    chain: list[dict[str, Any]]
    link: str | None
    link_exists: bool | None
    link_type: str | None
    resolved: str | None
    root: str | None
    same_as_media_root: bool | None
    url: str | None
    web_user: str | None
    web_user_access: SvsMediaWebUserAccess
    def __getattr__(self, name: str) -> Any: ...


class SvsMediaWebUserAccess(View):
    ok: bool | None
    path: str | None
    tested: bool | None
    user: str | None
    def __getattr__(self, name: str) -> Any: ...


class SvsPgpass(View):
    entries: list[dict[str, Any]]
    exists: bool | None
    mode: str | None
    pguser: str | None
    readable: bool | None
    def __getattr__(self, name: str) -> Any: ...


class SvsProject(View):
    dir: str | None
    source: str | None
    def __getattr__(self, name: str) -> Any: ...


class SvsUnit(View):
    active_state: str | None
    app_server: bool | None
    binds: list[str]
    environment_files: list[dict[str, Any]]
    environment_names: list[str]
    exec_start: list[str]
    journal: list[Any]
    load_state: str | None
    main_pid: int | None
    n_restarts: int | None
    name: str | None
    need_daemon_reload: bool | None
    path: str | None
    result: str | None
    settings_module: str | None
    sub_state: str | None
    unit_file_state: str | None
    wanted_by: list[str]
    working_directory: str | None
    def __getattr__(self, name: str) -> Any: ...


class SvsUserManager(View):
    error: Any
    ok: bool | None
    def __getattr__(self, name: str) -> Any: ...


class System(View):
    boot_time: float | None
    cpus: int | None
    hostname: str | None
    id: str | None
    pretty_name: str | None
    systemd: bool | None
    version_id: str | None


class Systemd(View):
    app_units: list[str]
    available: bool | None
    journal: SystemdJournal
    resampled: SystemdResampled
    units: SystemdUnits
    verify: SystemdVerify


class SystemdJournal(View):
    def __getitem__(self, key: str) -> list[dict[str, Any]]: ...
    def __getattr__(self, name: str) -> Any: ...


class SystemdResampled(View):
    def __getitem__(self, key: str) -> SystemdResampledItem: ...
    def __getattr__(self, name: str) -> Any: ...


class SystemdResampledItem(View):
    active_state: str | None
    journal: list[dict[str, Any]]
    main_pid: int | None
    main_started_ago: float | None
    n_restarts: int | None
    sub_state: str | None


class SystemdUnits(View):
    def __getitem__(self, key: str) -> Unit: ...
    def __getattr__(self, name: str) -> Any: ...


class SystemdVerify(View):
    def __getattr__(self, name: str) -> Any: ...


class Unit(View):
    active_enter: str | None
    active_state: str | None
    drop_ins: list[str]
    environment_files: list[dict[str, Any]]
    environment_names: list[str]
    exec_main_start: str | None
    exec_main_status: str | None
    exec_start: list[str]
    fragment_path: str | None
    fragment_text: str | None
    group: str | None
    listen: str | None
    load_state: str | None
    main_exited_ago: float | None
    main_pid: int | None
    main_started_ago: float | None
    n_restarts: int | None
    name: str | None
    need_daemon_reload: bool | None
    required_by: list[str]
    restart: str | None
    result: str | None
    runtime_directory: str | None
    socket_group: Any
    socket_mode: str | None
    socket_user: Any
    sub_state: str | None
    triggered_by: list[str]
    triggers: list[str]
    umask: str | None
    unit_file_state: str | None
    user: str | None
    wanted_by: list[str]
    working_directory: str | None
