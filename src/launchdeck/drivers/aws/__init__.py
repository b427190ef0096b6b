"""The AWS driver: CloudFormation templates synthesized with troposphere, typed wrappers over
boto3 (one per AWS service, named for what it does), and the CI workflow text.

Must not import: planning, execution, controlplane, cli.
"""
