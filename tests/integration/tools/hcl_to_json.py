"""Parses HCL2 (a Terraform file, on stdin) with python-hcl2 and prints it as
JSON with HCL's quoting removed, so that the integration tests can compare
what the role guidance's Terraform says. A file that does not parse fails
(non-zero exit, the parser's message on stderr)."""

import json
import sys

import hcl2


def unquote(text):
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1]
    return text


def clean(value):
    if isinstance(value, dict):
        return {unquote(k): clean(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [clean(v) for v in value]
    if isinstance(value, str):
        return unquote(value)
    return value


print(json.dumps(clean(hcl2.loads(sys.stdin.read()))))
