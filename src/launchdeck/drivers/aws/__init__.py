"""The AWS driver: CloudFormation templates synthesized with troposphere, typed wrappers over
boto3 (one per AWS service, named for what it does), and the CI workflow text.

Owns: the one AWS error tree (errors.py) and the one definition of the names templates write
and the deploy side reads (names.py).
Must not import: planning, execution, controlplane, awsdeploy, cli, awscli.
"""
