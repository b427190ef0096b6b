"""Names are checked whole: a pattern ending in `$` also matches before a trailing newline, so
`"web\\n"` passed every `re.match` name check (and `"nl\\n"` became `git/nl\\n.git`)."""

from __future__ import annotations

import pytest

from launchdeck.domain import NAME_RE
from launchdeck.manifest import ManifestError, parse_manifest
from launchdeck.manifest.values.fieldtypes import CONFIG_KEY_RE, HOSTNAME_RE

WEB = '[services.web]\ncommand = "serve"\nport = "$PORT"\n'
NAME_RULE = "should be at most 30 lowercase letters, digits or '-', starting with a letter"


def error_text(text: str) -> str:
    with pytest.raises(ManifestError) as caught:
        parse_manifest(text)
    return str(caught.value)


def test_the_shared_patterns_refuse_a_trailing_newline_even_with_match() -> None:
    # modules this package does not own still call .match(): the patterns end with \Z
    assert NAME_RE.match("nl\n") is None
    assert CONFIG_KEY_RE.match("KEY\n") is None
    assert HOSTNAME_RE.match("api.example.com\n") is None
    assert NAME_RE.match("nl") and CONFIG_KEY_RE.match("KEY")


def test_a_service_name_with_a_trailing_newline_is_refused() -> None:
    assert error_text('[services."web\\n"]\ncommand = "serve"\n') == (
        f"launchdeck.toml: services.\"web\\n\": {NAME_RULE} (got 'web\\n'); fix: use 'web'"
    )


def test_an_environment_name_with_a_trailing_newline_is_refused() -> None:
    assert error_text(WEB + '[environments."qa\\n"]\n') == (
        f"launchdeck.toml: environments.\"qa\\n\": {NAME_RULE} (got 'qa\\n'); fix: use 'qa'"
    )


def test_the_app_name_with_a_trailing_newline_is_refused() -> None:
    assert error_text('app = "shop\\n"\n' + WEB) == (
        f"launchdeck.toml: app: {NAME_RULE} (got 'shop\\n'); fix: use 'shop'"
    )


def test_config_keys_domains_and_branches_with_a_trailing_newline_are_refused() -> None:
    text = error_text(
        WEB
        + '[git.branches]\n"main\\n" = "staging"\n'
        + '[environments.qa]\nconfig = { "K\\n" = "v" }\ndomains = ["api.example.com\\n"]\n'
    )

    assert text == "\n".join(
        [
            'launchdeck.toml: git.branches."main\\n": should be a git branch name like '
            "'main' or 'release/2' (got 'main\\n'); fix: use 'main'",
            'launchdeck.toml: environments.qa.config."K\\n": should be letters, digits and '
            "'_', not starting with a digit (got 'K\\n'); fix: use 'K_'",
            "launchdeck.toml: environments.qa.domains.0: should be a hostname like "
            "'api.example.com' (got 'api.example.com\\n'); fix: use a hostname like "
            "'api.example.com'",
        ]
    )


def test_an_aws_region_with_a_trailing_newline_is_refused() -> None:
    assert error_text(WEB + '[aws]\nregion = "us-east-1\\n"\n') == (
        "launchdeck.toml: aws.region: should be an AWS region code like 'us-east-1' "
        "(got 'us-east-1\\n'); fix: use 'us-east-1'"
    )


def test_a_health_path_with_a_newline_never_reaches_the_router_config() -> None:
    text = error_text(WEB + 'health = { path = "/health\\nhttp-request deny" }\n')

    assert text == (
        "launchdeck.toml: services.web.health.path: should contain no spaces, quotes or control "
        "characters (got '/health\\nhttp-request deny'); fix: use a plain path such as '/health'"
    )
