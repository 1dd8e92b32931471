"""Renders the hub and member templates with a scenario's parameters (cloud-radar resolves every
parameter, condition, Ref, Sub, Join, Split and If as CloudFormation would) and writes the IAM
policies of every role, keyed by the role's name, as JSON for simulate.mjs.

Input: scenario.json (realistic parameters per template, per variant) and the hub template already
expanded by sam_transform.py. Run with the Python of the cloud-radar tool venv.
Usage: python render.py SCENARIO HUB_CFN_JSON MEMBER_TEMPLATE OUT_JSON
"""

import contextlib
import copy
import io
import json
import sys
from pathlib import Path

from cloud_radar.cf.unit import Template

HERE = Path(__file__).parent


def render(template_dict, account, region, params):
    Template.AccountId = account
    with contextlib.redirect_stdout(io.StringIO()):  # cloud-radar prints as it goes
        template = Template(copy.deepcopy(template_dict))
        return template.render(params, region=region)


def with_attributes(value, attributes):
    """cloud-radar renders Fn::GetAtt as "Logical.Attribute"; put in the ARN it will have."""
    if isinstance(value, dict):
        return {k: with_attributes(v, attributes) for k, v in value.items()}
    if isinstance(value, list):
        return [with_attributes(v, attributes) for v in value]
    return attributes.get(value, value) if isinstance(value, str) else value


def without_novalue(value):
    """cloud-radar renders AWS::NoValue inside a list as "" (CloudFormation drops the item)."""
    if isinstance(value, dict):
        return {k: without_novalue(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_novalue(v) for v in value if v != ""]
    return value


def policy_docs(rendered, role, managed):
    """Inline policies, customer managed policies (by Ref) and AWS managed policies (by ARN) of
    one rendered role."""
    resources = rendered["Resources"]
    props = role["Properties"]
    docs = [p["PolicyDocument"] for p in props.get("Policies", [])]
    for arn in props.get("ManagedPolicyArns", []):
        if arn in managed:
            docs.append(managed[arn])
            continue
        # cloud-radar renders a Ref to an AWS::IAM::ManagedPolicy as its logical id.
        name = arn.rsplit("/", 1)[-1] if arn.startswith("arn:") else arn
        if name in resources and resources[name]["Type"] == "AWS::IAM::ManagedPolicy":
            docs.append(resources[name]["Properties"]["PolicyDocument"])
        else:
            sys.exit(f"render: no document for managed policy {arn}")
    return [without_novalue(d) for d in docs]


def main() -> None:
    scenario_path, hub_cfn_path, member_path, out_path = sys.argv[1:5]
    scenario = json.loads(Path(scenario_path).read_text())
    managed = json.loads((HERE / "aws-managed-policies.json").read_text())["policies"]
    hub_cfn = json.loads(Path(hub_cfn_path).read_text())
    with contextlib.redirect_stdout(io.StringIO()):
        member_tpl = Template.from_yaml(member_path).template
    out = {}
    for variant, overrides in scenario["variants"].items():
        hub_params = {**scenario["hub"]["parameters"], **overrides.get("hub", {})}
        hub = render(hub_cfn, scenario["hub"]["account"], scenario["hub"]["region"], hub_params)
        hub = with_attributes(hub, scenario["hub"]["attributes"])
        roles = {}
        for logical, res in hub["Resources"].items():
            if res["Type"] == "AWS::IAM::Role" and logical in scenario["hub"]["function_roles"]:
                # The deployed name is generated; the corpus names hub roles by this logical id.
                roles[f'{scenario["hub"]["account"]}/{logical}'] = {
                    "policies": policy_docs(hub, res, managed),
                    "trust": without_novalue(res["Properties"]["AssumeRolePolicyDocument"]),
                }
        bus_policy = next(
            r["Properties"] for r in hub["Resources"].values() if r["Type"] == "AWS::Events::EventBusPolicy"
        )
        member_params = {**scenario["member"]["parameters"], **overrides.get("member", {})}
        for account in scenario["member"]["accounts"]:
            member = render(member_tpl, account, scenario["member"]["region"], member_params)
            for res in member["Resources"].values():
                if res["Type"] == "AWS::IAM::Role" and "RoleName" in res["Properties"]:
                    roles[f'{account}/{res["Properties"]["RoleName"]}'] = {
                        "policies": policy_docs(member, res, managed),
                        "trust": without_novalue(res["Properties"]["AssumeRolePolicyDocument"]),
                    }
        out[variant] = {
            "roles": roles,
            "resource_policies": {k: v for k, v in scenario.get("resource_policies", {}).items() if k != "about"},
            "bus": {
                "arn": f'arn:aws:events:{scenario["hub"]["region"]}:{scenario["hub"]["account"]}:event-bus/{hub_params.get("HubEventBusName", "eks-sso-sync")}',
                "policy": {"Version": "2012-10-17", "Statement": [bus_policy["Statement"] | {"Sid": bus_policy["StatementId"]}]},
            },
        }
    Path(out_path).write_text(json.dumps(out, indent=1, default=str))


if __name__ == "__main__":
    main()
