"""The `launchdeck aws` commands: synthesize, deploy, promote, roll back and run one-offs on AWS.

Unlike cli/, which talks to the local control plane over HTTP, these run here with the user's own
AWS credentials: on AWS the control plane is CloudFormation and ECS, as it is for AWS Copilot and
CDK. A GitHub Actions job runs them the same way, with no daemon.
Owns: argument parsing and printing for `launchdeck aws ...`; the work is in awsdeploy (use
cases) and drivers/aws (templates, boto3 wrappers).
Must not be imported by anything but launchdeck.entry.
"""
