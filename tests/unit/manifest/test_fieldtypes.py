import pytest

from launchdeck.manifest import ManifestError, parse_manifest

SERVICES = '[services.web]\ncommand = "serve"\nport = true\n[services.worker]\ncommand = "work"\n'


def issues(text: str) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        parse_manifest(text, source="t")
    return [str(issue) for issue in caught.value.issues]


def service(lines: str) -> list[str]:
    return issues(f'[services.web]\ncommand = "serve"\n{lines}\n')


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('app = "My Shop"\n' + SERVICES, "app: should be at most 30 lowercase letters, digits "
         "or '-', starting with a letter (got 'My Shop'); fix: use 'my-shop'"),
        ('app = "123"\n' + SERVICES, "app: should be at most 30 lowercase letters, digits "
         "or '-', starting with a letter (got '123'); fix: pick a name like 'web'"),
        ('[services.Web]\ncommand = "x"\n', "services.Web: should be at most 30 lowercase "
         "letters, digits or '-', starting with a letter (got 'Web'); fix: use 'web'"),
        (SERVICES + "[environments.prod_eu]\n", "environments.prod_eu: should be at most 30 "
         "lowercase letters, digits or '-', starting with a letter (got 'prod_eu'); "
         "fix: use 'prod-eu'"),
    ],
)  # fmt: skip
def test_names(text: str, expected: str) -> None:
    assert issues(text) == [expected]


def test_unknown_service_in_an_override_suggests_one_and_lists_all() -> None:
    assert issues(SERVICES + "[environments.production]\nscale.wbe = { count = 3 }\n") == [
        "environments.production.scale.wbe: unknown service (got 'wbe'); "
        "fix: did you mean 'web'? services are: web, worker"
    ]


def test_unknown_service_without_a_close_match_lists_the_services() -> None:
    assert issues(SERVICES + "[environments.production]\nhealth.api = { path = '/' }\n") == [
        "environments.production.health.api: unknown service (got 'api'); "
        "fix: use a service from [services]; services are: web, worker"
    ]


def test_service_references_are_not_checked_when_services_is_malformed() -> None:
    assert issues('services = "web"\n[environments.p]\nscale.web = { count = 1 }\n') == [
        "services: should be a table (got 'web'); "
        'fix: use services = { web = { command = "gunicorn shop.wsgi", port = "$PORT" } }'
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("port = 8000", "services.web.port: a fixed port number is not supported (got 8000); "
         'fix: use "$PORT": launchdeck assigns each instance its own port'),
        ('port = "PORT"', "services.web.port: should be \"$PORT\" or true (got 'PORT'); "
         'fix: use port = "$PORT"'),
        ('command = "  "', "services.web.command: should not be empty (got '  '); "
         'fix: use command = "gunicorn shop.wsgi --bind 0.0.0.0:$PORT"'),
        ('port = true\nhealth = { path = "health" }',
         "services.web.health.path: should start with '/' (got 'health'); fix: use '/health'"),
        ('port = true\nhealth = { path = "http://localhost:8000/up" }',
         "services.web.health.path: should start with '/' (got 'http://localhost:8000/up'); "
         "fix: use '/up'"),
        ('resources = { memory = "1MiB" }',
         "services.web.resources.memory: should be at least 4MiB (got '1MiB'); "
         "fix: use '4MiB' or more"),
        ('resources = { memory = "512mb" }',
         "services.web.resources.memory: should be a size like '512MiB', '1GiB', '256M', "
         "'100KiB' or a number of bytes (got '512mb'); fix: use '512M'"),
        ('drain = "10sec"', "services.web.drain: should be a duration like '500ms', '1s', "
         "'1.5s', '5m', '1h' or a number of seconds (got '10sec'); fix: use '10s'"),
        ('rollout = { max_surge = "1" }',
         "services.web.rollout.max_surge: should be a number of instances (>= 0) or a percentage "
         "like '25%' (got '1'); fix: use 1 (no quotes) or '1%'"),
    ],
)  # fmt: skip
def test_service_values(line: str, expected: str) -> None:
    # The empty-command case brings its own command line; TOML forbids a key twice.
    text = line if line.startswith("command") else f'command = "serve"\n{line}'
    assert issues(f"[services.web]\n{text}\n") == [expected]


def test_port_accepts_dollar_port_true_and_false() -> None:
    for value, routed in (('"$PORT"', True), ("true", True), ("false", False)):
        manifest = parse_manifest(f'[services.web]\ncommand = "serve"\nport = {value}\n')
        assert manifest.services["web"].port is routed


def test_config_key_must_be_a_variable_name() -> None:
    assert issues(SERVICES + '[environments.p]\nconfig = { "log-level" = "info" }\n') == [
        "environments.p.config.log-level: should be letters, digits and '_', not starting with "
        "a digit (got 'log-level'); fix: use 'log_level'"
    ]


def test_config_key_starting_with_a_digit() -> None:
    assert issues(SERVICES + '[environments.p]\nconfig = { "1X" = "a" }\n') == [
        "environments.p.config.1X: should be letters, digits and '_', not starting with "
        "a digit (got '1X'); fix: use '_1X'"
    ]


def test_domain_given_as_url_suggests_the_hostname() -> None:
    assert issues(SERVICES + '[environments.p]\ndomains = ["https://API.example.com:443/x"]\n') == [
        "environments.p.domains.0: should be a hostname like 'api.example.com' "
        "(got 'https://API.example.com:443/x'); fix: use 'api.example.com'"
    ]


def test_domain_that_is_not_a_hostname() -> None:
    assert issues(SERVICES + '[environments.p]\ndomains = ["localhost"]\n') == [
        "environments.p.domains.0: should be a hostname like 'api.example.com' "
        "(got 'localhost'); fix: use a hostname like 'api.example.com'"
    ]


@pytest.mark.parametrize(
    ("branch", "fix"),
    [
        ("my feature", "use 'my-feature'"),
        ("-x", "use 'x'"),
        ("a..b", "use 'a.b'"),
        ("wip.lock", "use 'wip'"),
        ("--", "use a name like 'main'"),
        ("release/", "use 'release'"),
        (".hidden", "use 'hidden'"),
    ],
)
def test_git_branch_names(branch: str, fix: str) -> None:
    text = f'[services.web]\ncommand = "x"\n[git]\nbranches = {{ "{branch}" = "staging" }}\n'
    assert issues(text) == [
        f"git.branches.{branch}: should be a git branch name like 'main' or 'release/2' "
        f"(got {branch!r}); fix: {fix}"
    ]


@pytest.mark.parametrize("branch", ["main", "release/2", "feature_x", "v1.2", "user/alice/wip"])
def test_git_branch_names_that_git_accepts(branch: str) -> None:
    text = f'[services.web]\ncommand = "x"\n[git]\nbranches = {{ "{branch}" = "staging" }}\n'
    assert parse_manifest(text).git.branches == {branch: "staging"}
