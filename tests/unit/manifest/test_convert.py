from launchdeck.domain import HealthCheck, Resources, Scale, ServiceSpec
from launchdeck.manifest import parse_manifest
from launchdeck.manifest.convert import to_manifest, to_override, to_service
from launchdeck.manifest.schema import EnvironmentTable, ManifestFile, ServiceTable

MiB = 1024**2


def service(name: str = "web", **raw: object) -> ServiceSpec:
    return to_service(name, ServiceTable.model_validate({"command": "serve", **raw}))


def test_routed_service_without_health_gets_the_default_check() -> None:
    assert service(port="$PORT").health == HealthCheck()


def test_worker_has_no_health_check() -> None:
    assert service("worker").health is None
    assert not service("worker").port


def test_web_is_routed_with_the_default_check_unless_it_opts_out() -> None:
    """As with a Procfile, and on Heroku, Dokku and Copilot: the service named web gets traffic."""
    web = service()
    assert (web.port, web.health) == (True, HealthCheck())
    opted_out = service(port=False)
    assert (opted_out.port, opted_out.health) == (False, None)
    assert service("api", port="$PORT").port  # any other name says so itself


def test_partial_health_table_fills_in_defaults() -> None:
    assert service(port=True, health={"path": "/up"}).health == HealthCheck(path="/up")


def test_units_become_seconds_and_bytes() -> None:
    spec = service(drain="500ms", stop_timeout=60, resources={"memory": "1GiB", "cpu": 2})
    assert (spec.drain, spec.stop_timeout, spec.resources) == (
        0.5,
        60.0,
        Resources(cpu=2.0, memory=1024 * MiB),
    )


BASE = {
    "web": ServiceSpec(
        "web",
        "serve",
        port=True,
        health=HealthCheck(path="/health", interval=5.0),
        scale=Scale(count=2, min=2, max=8, cpu=60),
        resources=Resources(cpu=0.5, memory=512 * MiB),
    ),
    "worker": ServiceSpec("worker", "work"),
}


def test_environment_scale_keeps_the_keys_it_does_not_give() -> None:
    env = to_override(EnvironmentTable.model_validate({"scale": {"web": {"count": 3}}}), BASE)
    assert env.scale == {"web": Scale(count=3, min=2, max=8, cpu=60)}


def test_environment_scale_keys_replace_the_base_even_with_default_values() -> None:
    # count = 1 equals the schema default; it was written, so it wins over the base's 2.
    env = to_override(EnvironmentTable.model_validate({"scale": {"web": {"count": 1}}}), BASE)
    assert env.scale["web"].count == 1


def test_environment_health_and_resources_merge_key_by_key() -> None:
    raw = {"health": {"web": {"path": "/ready"}}, "resources": {"web": {"memory": "1GiB"}}}
    env = to_override(EnvironmentTable.model_validate(raw), BASE)
    assert env.health == {"web": HealthCheck(path="/ready", interval=5.0)}
    assert env.resources == {"web": Resources(cpu=0.5, memory=1024 * MiB)}


def test_environment_config_and_domains() -> None:
    raw = {"config": {"LOG_LEVEL": "info"}, "domains": ["a.example.com", "b.example.com"]}
    env = to_override(EnvironmentTable.model_validate(raw), BASE)
    assert (env.config, env.domains) == ({"LOG_LEVEL": "info"}, ("a.example.com", "b.example.com"))


def test_procfile_services_stand_in_when_the_file_has_none() -> None:
    file = ManifestFile.model_validate(
        {"environments": {"prod": {"scale": {"worker": {"count": 4}}}}}
    )
    manifest = to_manifest(file, BASE)
    assert manifest.services == BASE
    assert manifest.environments["prod"].scale == {"worker": Scale(count=4)}


def test_file_services_win_over_procfile_services() -> None:
    file = ManifestFile.model_validate({"services": {"api": {"command": "x"}}})
    assert list(to_manifest(file, BASE).services) == ["api"]


def test_a_manifest_web_with_only_a_command_gets_traffic_and_its_health_settings() -> None:
    manifest = parse_manifest(
        '[services.web]\ncommand = "serve"\nhealth = { path = "/up" }\n'
        '[services.admin]\ncommand = "serve"\nport = "$PORT"\n'
        '[services.web-worker]\ncommand = "work"\n',
        source="t",
    )
    web = manifest.services["web"]
    assert (web.port, web.health) == (True, HealthCheck(path="/up"))
    assert manifest.services["admin"].port and not manifest.services["web-worker"].port
    quiet = parse_manifest('[services.web]\ncommand = "work"\nport = false\n', source="t")
    assert (quiet.services["web"].port, quiet.services["web"].health) == (False, None)
