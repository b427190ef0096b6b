"""Source of the stack's two small Lambda functions, inlined as ZipFile code (no build step)."""

from __future__ import annotations

# Posts CloudWatch alarm notifications (via SNS) to Slack. The webhook URL is read once, at
# cold start, from the Secrets Manager secret named in WEBHOOK_SECRET (the URL itself, or JSON
# with a "url" key).
SLACK_NOTIFIER = """\
import json
import os
import urllib.request

import boto3

_secret = boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["WEBHOOK_SECRET"])
_value = _secret["SecretString"].strip()
WEBHOOK = json.loads(_value)["url"] if _value.startswith("{") else _value
ICONS = {"ALARM": ":rotating_light:", "OK": ":white_check_mark:"}


def message(alarm):
    state = alarm.get("NewStateValue", "?")
    name = alarm.get("AlarmName", "alarm")
    text = f"{ICONS.get(state, ':grey_question:')} {name} is {state}"
    reason = alarm.get("NewStateReason", "")
    detail = alarm.get("AlarmDescription") or ""
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{text}*"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{detail}\\n{reason}".strip()}},
        {"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"{os.environ.get('STACK', '')} {alarm.get('Region', '')}"}
        ]},
    ]
    return {"text": text, "blocks": blocks}


def handler(event, context):
    for record in event.get("Records", []):
        raw = record["Sns"]["Message"]
        try:
            alarm = json.loads(raw)
        except ValueError:
            alarm = {"AlarmName": record["Sns"].get("Subject") or "notification",
                     "NewStateReason": raw}
        body = json.dumps(message(alarm)).encode()
        request = urllib.request.Request(
            WEBHOOK, data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
"""

# A custom resource: removes every rule of the VPC's default security group, so nothing that
# lands in it by mistake can talk to anything.
RESTRICT_DEFAULT_SG = """\
import boto3
import cfnresponse


def handler(event, context):
    group = event["ResourceProperties"]["GroupId"]
    try:
        if event["RequestType"] in ("Create", "Update"):
            ec2 = boto3.client("ec2")
            found = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]
            if found["IpPermissions"]:
                ec2.revoke_security_group_ingress(
                    GroupId=group, IpPermissions=found["IpPermissions"]
                )
            if found["IpPermissionsEgress"]:
                ec2.revoke_security_group_egress(
                    GroupId=group, IpPermissions=found["IpPermissionsEgress"]
                )
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {}, group)
    except Exception as error:
        cfnresponse.send(event, context, cfnresponse.FAILED, {"Error": str(error)}, group)
"""
