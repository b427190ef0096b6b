"""[addons], [aws] and [environments.<env>.aws]: parsing, defaults, merging and error text."""

import pytest

from launchdeck.domain import (
    Addons,
    AwsOverride,
    AwsSettings,
    CloudFront,
    PostgresAddon,
    RedisAddon,
)
from launchdeck.manifest import ManifestError, parse_manifest
from launchdeck.manifest.schema_aws import AwsTable, EnvAwsTable

SERVICES = '[services.web]\ncommand = "serve"\nport = true\n'
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666"


def issues(text: str) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        parse_manifest(SERVICES + text, source="t")
    return [str(issue) for issue in caught.value.issues]


def test_absent_tables_take_the_defaults() -> None:
    manifest = parse_manifest(SERVICES)
    assert manifest.addons == Addons()
    assert manifest.aws == AwsSettings()
    assert manifest.aws.region == "us-east-1" and manifest.aws.nat == "per-az"


def test_schema_defaults_are_the_domain_defaults() -> None:
    table = AwsTable()
    assert (table.region, table.azs, table.nat, table.db_instance) == (
        AwsSettings().region,
        AwsSettings().azs,
        AwsSettings().nat,
        AwsSettings().db_instance,
    )
    assert all(value is None for value in EnvAwsTable().model_dump().values())


def test_empty_addon_tables_enable_the_addon_with_its_default_version() -> None:
    manifest = parse_manifest(SERVICES + "[addons.postgres]\n[addons.redis]\n")
    assert manifest.addons == Addons(postgres=PostgresAddon(None), redis=RedisAddon("7"))
    assert manifest.addons.postgres is not None and manifest.addons.postgres.aws_version == "16"


def test_the_aws_table_parses_to_domain_settings() -> None:
    manifest = parse_manifest(
        SERVICES
        + f"""
[aws]
region = "eu-west-1"
azs = 3
nat = "single"
domain = "shop.example.com"
db_instance = "db.t4g.small"
cloudfront = {{ static_paths = ["/_next/static/*"], certificate_arn = "{CERT}" }}
github = "shop-inc/shop"
secrets = ["STRIPE_KEY"]
"""
    )
    assert manifest.aws == AwsSettings(
        region="eu-west-1",
        azs=3,
        nat="single",
        domain="shop.example.com",
        db_instance="db.t4g.small",
        cloudfront=CloudFront(("/_next/static/*",), CERT),
        github="shop-inc/shop",
        secrets=("STRIPE_KEY",),
    )


def test_environment_aws_values_replace_the_apps_and_keep_the_rest() -> None:
    manifest = parse_manifest(
        SERVICES
        + '[aws]\nregion = "eu-west-1"\nazs = 3\n'
        + '[environments.staging]\naws = { azs = 2, nat = "single" }\n'
    )
    assert manifest.environments["staging"].aws == AwsOverride(azs=2, nat="single")
    staging = manifest.for_env("staging").aws
    assert (staging.region, staging.azs, staging.nat) == ("eu-west-1", 2, "single")
    assert manifest.for_env("production").aws.azs == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[aws]\nazs = 4\n", "aws.azs: should be at most 3 (got 4); fix: use 3 or less"),
        ('[aws]\nnat = "perAZ"\n', "aws.nat: should be one of 'per-az', 'single' (got 'perAZ'); "
         "fix: use one of 'per-az', 'single'"),
        ('[aws]\nregion = "US-East-1"\n', "aws.region: should be an AWS region code like "
         "'us-east-1' (got 'US-East-1'); fix: use 'us-east-1'"),
        ('[aws]\ncertificate_arn = "abc"\n', "aws.certificate_arn: should be an ACM certificate "
         "ARN (got 'abc'); fix: copy the ARN from the ACM console: "
         "'arn:aws:acm:<region>:<account>:certificate/<id>'"),
        ('[aws]\ngithub = "https://github.com/shop-inc/shop.git"\n', "aws.github: should be a "
         "GitHub repository as 'org/repo' (got 'https://github.com/shop-inc/shop.git'); "
         "fix: use 'shop-inc/shop'"),
        ('[aws]\ndb_instance = "t4g.micro"\n', "aws.db_instance: should be an instance class "
         "like 'db.t4g.micro' (got 't4g.micro'); fix: use 'db.t4g.micro'"),
        ('[aws]\ncache_node = "large"\n', "aws.cache_node: should be an instance class like "
         "'cache.t4g.micro' (got 'large'); fix: use 'cache.t4g.micro'"),
        ("[aws]\nlog_retention_days = 45\n", "aws.log_retention_days: should be a retention "
         "CloudWatch Logs offers: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, "
         "1096, 1827, 2192, 2557, 2922, 3288, 3653 (got 45); fix: use 30 or 60"),
        ("[aws]\ndb_storage_gb = 10\n",
         "aws.db_storage_gb: should be at least 20 (got 10); fix: use 20 or more"),
        ('[aws]\ncloudfront = { static_paths = ["_next/static/*"] }\n',
         "aws.cloudfront.static_paths.0: should be a path pattern starting with '/' "
         "(got '_next/static/*'); fix: use '/_next/static/*'"),
        (f'[aws]\ncloudfront = {{ certificate_arn = "{CERT.replace("us-east-1", "eu-west-1")}" }}\n',
         "aws.cloudfront.certificate_arn: should be a certificate in us-east-1: CloudFront only "
         f"uses certificates from there (got '{CERT.replace('us-east-1', 'eu-west-1')}'); "
         "fix: request or import the certificate in ACM in us-east-1 and use its ARN"),
        ('[aws]\nsecrets = ["stripe-key"]\n', "aws.secrets.0: should be letters, digits and '_', "
         "not starting with a digit (got 'stripe-key'); fix: use 'stripe_key'"),
        ('[aws]\nregoin = "eu-west-1"\n',
         "aws.regoin: unknown key (got 'regoin'); fix: did you mean 'region'?"),
        ('[aws]\nslack_webhook_secret = "my secret"\n', "aws.slack_webhook_secret: should be a "
         "Secrets Manager name (letters, digits and /_+=.@-) (got 'my secret'); "
         "fix: use 'my-secret'"),
        ('[aws]\nhosted_zone_id = "/hostedzone/Z0123456789ABC"\n', "aws.hosted_zone_id: should "
         "be a Route 53 hosted zone ID (got '/hostedzone/Z0123456789ABC'); "
         "fix: use 'Z0123456789ABC'"),
        ("[addons.postgres]\nversion = 16\n", "addons.postgres.version: should be a string "
         '(got 16); fix: quote it: version = "16"'),
        ('[addons.postgres]\nversion = "16.2"\n', "addons.postgres.version: should be a major "
         "version like '16' (got '16.2'); fix: use '16'"),
        ("[addons.mysql]\n", "addons.mysql: unknown key (got 'mysql'); "
         "fix: remove it; allowed keys are: postgres, redis"),
        ("[environments.production]\naws = { azs = 1 }\n",
         "environments.production.aws.azs: should be at least 2 (got 1); fix: use 2 or more"),
    ],
)  # fmt: skip
def test_schema_errors_name_the_path_the_value_and_a_fix(text: str, expected: str) -> None:
    assert issues(text) == [expected]


def test_a_secret_must_not_also_be_written_in_config() -> None:
    text = '[aws]\nsecrets = ["STRIPE_KEY"]\n[environments.production]\nconfig = { STRIPE_KEY = "sk" }\n'
    assert issues(text) == [
        "environments.production.config.STRIPE_KEY: is listed in aws.secrets, so its value must "
        "not be written in the manifest; fix: remove it here and store it as the SSM SecureString "
        "/launchdeck/<app>/<env>/STRIPE_KEY"
    ]


def test_a_hosted_zone_needs_a_domain() -> None:
    assert issues('[aws]\nhosted_zone_id = "Z0123456789ABC"\n') == [
        "aws.hosted_zone_id: needs aws.domain: the zone is where the domain's records are created "
        "(got 'Z0123456789ABC'); fix: add aws.domain = \"<your domain in that zone>\" or remove "
        "hosted_zone_id"
    ]


AWS_MODELS = [AwsTable, EnvAwsTable]


@pytest.mark.parametrize(
    ("model", "name"), [(model, name) for model in AWS_MODELS for name in model.model_fields]
)
def test_every_aws_field_is_documented_with_a_valid_example(model: type, name: str) -> None:
    field = model.model_fields[name]
    assert field.description and field.examples and model.__doc__
    model.model_validate({name: field.examples[0]})
