from __future__ import annotations

from pathlib import Path

import pytest

from launchdeck.controlplane.settings import Settings, SettingsError


def test_defaults_with_only_a_home(tmp_path: Path) -> None:
    s = Settings.from_environ({"LAUNCHDECK_HOME": str(tmp_path)})

    assert s == Settings(home=tmp_path.resolve())
    assert (s.api_port, s.http_port, s.port_range) == (7070, 8080, (20000, 29999))
    assert s.bind == "127.0.0.1"
    assert s.api_url == "http://127.0.0.1:7070"
    assert s.db == tmp_path.resolve() / "launchdeck.db"
    assert s.credentials == tmp_path.resolve() / "api.json"
    assert s.pidfile == tmp_path.resolve() / "server.pid"
    assert s.server_log == tmp_path.resolve() / "server.log"


def test_home_defaults_to_dot_launchdeck_in_the_user_home(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))

    assert Settings.from_environ({}).home == (tmp_path / ".launchdeck").resolve()
    assert (
        Settings.from_environ({"LAUNCHDECK_HOME": ""}).home == (tmp_path / ".launchdeck").resolve()
    )


def test_home_expands_a_tilde_and_resolves_relative_parts(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))

    s = Settings.from_environ({"LAUNCHDECK_HOME": "~/state/../ld"})

    assert s.home == (tmp_path / "ld").resolve()


def test_environment_overrides_ports_and_range(tmp_path: Path) -> None:
    s = Settings.from_environ(
        {
            "LAUNCHDECK_HOME": str(tmp_path),
            "LAUNCHDECK_API_PORT": "17070",
            "LAUNCHDECK_HTTP_PORT": "18080",
            "LAUNCHDECK_PORT_RANGE": "40000-40100",
        }
    )

    assert (s.api_port, s.http_port, s.port_range) == (17070, 18080, (40000, 40100))
    assert s.api_url == "http://127.0.0.1:17070"


def test_empty_port_variables_mean_the_default(tmp_path: Path) -> None:
    s = Settings.from_environ(
        {"LAUNCHDECK_HOME": str(tmp_path), "LAUNCHDECK_API_PORT": "", "LAUNCHDECK_HTTP_PORT": ""}
    )
    assert (s.api_port, s.http_port) == (7070, 8080)


def test_reads_os_environ_when_given_nothing(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LAUNCHDECK_HOME", str(tmp_path))
    monkeypatch.setenv("LAUNCHDECK_API_PORT", "7171")
    monkeypatch.delenv("LAUNCHDECK_HTTP_PORT", raising=False)
    monkeypatch.delenv("LAUNCHDECK_PORT_RANGE", raising=False)

    s = Settings.from_environ()

    assert (s.home, s.api_port, s.http_port) == (tmp_path.resolve(), 7171, 8080)


@pytest.mark.parametrize("raw", ["0", "65536", "http", "-1", "80.5", " 80"])
def test_bad_api_port_says_which_variable_and_what_it_got(tmp_path: Path, raw: str) -> None:
    with pytest.raises(SettingsError) as err:
        Settings.from_environ({"LAUNCHDECK_HOME": str(tmp_path), "LAUNCHDECK_API_PORT": raw})
    assert str(err.value) == f"LAUNCHDECK_API_PORT: should be a port number 1-65535 (got {raw!r})"


def test_bad_http_port_names_the_http_variable(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as err:
        Settings.from_environ({"LAUNCHDECK_HOME": str(tmp_path), "LAUNCHDECK_HTTP_PORT": "99999"})
    assert str(err.value) == "LAUNCHDECK_HTTP_PORT: should be a port number 1-65535 (got '99999')"


def test_port_limits_are_inclusive(tmp_path: Path) -> None:
    s = Settings.from_environ(
        {
            "LAUNCHDECK_HOME": str(tmp_path),
            "LAUNCHDECK_API_PORT": "1",
            "LAUNCHDECK_HTTP_PORT": "65535",
        }
    )
    assert (s.api_port, s.http_port) == (1, 65535)


@pytest.mark.parametrize(
    "raw",
    [
        "20000",  # no last port
        "20000-",
        "-29999",
        "a-b",
        "30000-20000",  # backwards
        "20000-20000",  # empty span
        "1023-2000",  # privileged
        "60000-65536",  # past the last port
        "20000:29999",
    ],
)
def test_bad_port_range_says_the_expected_shape(tmp_path: Path, raw: str) -> None:
    with pytest.raises(SettingsError) as err:
        Settings.from_environ({"LAUNCHDECK_HOME": str(tmp_path), "LAUNCHDECK_PORT_RANGE": raw})
    assert str(err.value) == (
        f"LAUNCHDECK_PORT_RANGE: should be FIRST-LAST within 1024-65535 (got {raw!r})"
    )


def test_port_range_limits_are_inclusive(tmp_path: Path) -> None:
    s = Settings.from_environ(
        {"LAUNCHDECK_HOME": str(tmp_path), "LAUNCHDECK_PORT_RANGE": "1024-65535"}
    )
    assert s.port_range == (1024, 65535)


def test_an_empty_port_range_means_the_default_like_the_other_variables(tmp_path: Path) -> None:
    s = Settings.from_environ({"LAUNCHDECK_HOME": str(tmp_path), "LAUNCHDECK_PORT_RANGE": ""})
    assert s.port_range == (20000, 29999)


def test_a_superscript_digit_gets_the_port_message(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as err:
        Settings.from_environ({"LAUNCHDECK_HOME": str(tmp_path), "LAUNCHDECK_API_PORT": "\u00b2"})
    assert str(err.value) == "LAUNCHDECK_API_PORT: should be a port number 1-65535 (got '\u00b2')"


def test_settings_error_is_a_value_error() -> None:
    assert issubclass(SettingsError, ValueError)


def test_metrics_retention_is_three_times_for_10s_1m_and_1h_points(tmp_path: Path) -> None:
    def retention(raw: str) -> tuple[float, float, float]:
        env = {"LAUNCHDECK_HOME": str(tmp_path), "LAUNCHDECK_METRICS_RETENTION": raw}
        return Settings.from_environ(env).metrics_retention

    assert retention("") == (86400.0, 14 * 86400.0, 90 * 86400.0)
    assert retention("6h, 2d, 1w") == (6 * 3600.0, 2 * 86400.0, 7 * 86400.0)
    with pytest.raises(SettingsError) as caught:
        retention("24h,14d")
    assert str(caught.value) == (
        "LAUNCHDECK_METRICS_RETENTION: should be three times, for the 10s, 1m and 1h points "
        "(got '24h,14d'); fix: e.g. 24h,14d,90d"
    )
    with pytest.raises(SettingsError, match=r"should be a time like '14d' \(got '1h,2x,3d'\)"):
        retention("1h,2x,3d")
    with pytest.raises(SettingsError, match="at least as long as the one before"):
        retention("14d,1d,90d")
