from launchdeck.manifest.errors import MISSING, Issue, ManifestError
from launchdeck.system.errors import LaunchdeckError


def test_issue_shape() -> None:
    issue = Issue("services.web.health.path", "health", "should start with '/'", "use '/health'")
    assert str(issue) == (
        "services.web.health.path: should start with '/' (got 'health'); fix: use '/health'"
    )


def test_issue_without_a_value_or_path() -> None:
    assert str(Issue("", MISSING, "no process types", "add one")) == (
        "no process types; fix: add one"
    )


def test_error_lists_one_line_per_issue_with_its_source() -> None:
    error = ManifestError(
        [Issue("app", 1, "should be a string", "quote it"), Issue("x", "x", "unknown key", "y")],
        source="launchdeck.toml",
    )
    assert str(error) == (
        "launchdeck.toml: app: should be a string (got 1); fix: quote it\n"
        "launchdeck.toml: x: unknown key (got 'x'); fix: y"
    )
    assert [issue.path for issue in error.issues] == ["app", "x"]
    assert error.source == "launchdeck.toml"


def test_issues_are_values() -> None:
    assert Issue("a", 1, "m", "f") == Issue("a", 1, "m", "f")


def test_error_is_a_launchdeck_error_whose_fix_is_the_one_issues_fix() -> None:
    error = ManifestError([Issue("app", 1, "should be a string", "quote it")], source="x.toml")
    assert isinstance(error, LaunchdeckError)
    assert (error.message, error.fix) == ("x.toml: app: should be a string (got 1)", "quote it")
    assert str(error) == "x.toml: app: should be a string (got 1); fix: quote it"


def test_several_issues_keep_their_own_fixes_in_the_message() -> None:
    error = ManifestError([Issue("a", 1, "m", "f"), Issue("b", 2, "n", "g")], source="x.toml")
    assert error.fix == ""
    assert error.message == "x.toml: a: m (got 1); fix: f\nx.toml: b: n (got 2); fix: g"
