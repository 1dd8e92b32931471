"""Expands the SAM transform of a template (AWS's own aws-sam-translator, as `sam deploy` and
CloudFormation do) into plain CloudFormation, written as JSON to stdout. Intrinsic functions are
left in place: cloud-radar (render.py) resolves them with the scenario's parameters.

Run with the Python of the `sam` tool venv (scripts/python-tools.sh), which ships the translator.
Usage: python sam_transform.py TEMPLATE [PARAM=VALUE ...]
"""

import json
import sys

from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.parser.parser import Parser
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    """The templates name no AWS managed policy by name (only by ARN or Ref), so the translator
    needs no IAM look-up; asking for one is an error rather than a network call."""

    def load(self):
        return {}


def main() -> None:
    path = sys.argv[1]
    params = dict(arg.split("=", 1) for arg in sys.argv[2:])
    with open(path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    # Code and build metadata do not matter to IAM; the translator only needs a code location.
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource.setdefault("Properties", {})["CodeUri"] = "s3://bucket/code.zip"
    if "Globals" in template and "Function" in template["Globals"]:
        template["Globals"]["Function"].pop("CodeUri", None)
    try:
        cfn = transform(template, params, NoManagedPolicies())
    except InvalidDocumentException as error:
        sys.exit("SAM transform failed: " + "; ".join(str(e) for e in error.causes))
    json.dump(cfn, sys.stdout, indent=1, default=str)


if __name__ == "__main__":
    main()
