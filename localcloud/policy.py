"""IAM (AWS) and RAM (Alibaba Cloud) identity-policy documents: validation and evaluation.

**Validation** (:func:`validate`, :func:`check`) refuses what IAM's ``PutRolePolicy`` /
RAM's ``CreatePolicy`` refuse (IAM JSON policy reference, "IAM JSON policy elements"; RAM
"Policy structure and syntax"):

- the document is a JSON object with ``Version`` (IAM: ``2012-10-17`` or ``2008-10-17``, and
  when absent IAM assumes 2008-10-17, which is reported as a warning; RAM: ``1``, required),
  optional ``Id`` (IAM), and ``Statement``: a non-empty list (IAM also takes one object);
- each statement has ``Effect`` ``Allow``/``Deny``; exactly one of ``Action``/``NotAction`` and
  one of ``Resource``/``NotResource``; no ``Principal``/``NotPrincipal`` (identity policies);
  ``Condition`` an object of operator -> {key -> value(s)}; no other element;
- ``Sid``: IAM accepts only ASCII letters and digits; Sids are unique within a document;
- actions are ``<service>:<action>`` (letters, digits, ``-`` in the service; ``*``/``?``
  wildcards allowed) or ``*``;
- resources are ``*`` or ARNs: AWS ``arn:<partition>:<service>:<region>:<account>:<resource>``
  (6 parts at least; partition aws, aws-cn or aws-us-gov); Alibaba Cloud
  ``acs:<service>:<region>:<account>:<resource>`` (5 parts at least), service and resource
  non-empty;
- size: IAM inline role policies total at most 10,240 characters (whitespace not counted);
  a RAM custom policy at most 6,144 characters.

Wildcard actions (``*``, ``s3:*``, ``s3:Get*``) are valid for both clouds and reported as
warnings: the project's rule is least privilege.

**Evaluation** (:func:`evaluate`) answers one request (action, resource ARN) against a set of
documents as IAM and RAM do for identity policies: an explicit ``Deny`` that matches wins;
otherwise an ``Allow`` that matches is needed; otherwise the request is implicitly denied.
Actions match case-insensitively, resources case-sensitively; ``*`` matches any run of
characters (``/`` and ``:`` included) and ``?`` exactly one.

**Conditions are not evaluated.** A statement with a ``Condition`` is read the safe way:
an ``Allow`` with a condition never grants (we cannot show the condition holds), a ``Deny`` with
a condition always applies (we cannot show it does not). So the local cloud can refuse a request
the cloud would allow, never the other way round. Policy variables (``${aws:username}``) are
matched literally. Resource policies, permission boundaries, SCPs and session policies are out
of scope (the program generates none for functions).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

AWS_VERSIONS = ("2012-10-17", "2008-10-17")
RAM_VERSION = "1"
AWS_PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
# IAM: "The size of each inline role policy ... aggregate ... cannot exceed 10,240 characters"
# (whitespace not counted); RAM: a custom policy document is at most 6,144 characters.
MAX_SIZE = {"aws": 10240, "ali": 6144}
STATEMENT_KEYS = {
    "aws": {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"},
    "ali": {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"},
}
TOP_KEYS = {"aws": {"Version", "Id", "Statement"}, "ali": {"Version", "Statement"}}
ACTION = re.compile(r"^[A-Za-z0-9-]+:[A-Za-z0-9*?_-]+$")
SID = re.compile(r"^[A-Za-z0-9]*$")


class PolicyError(ValueError):
    """An invalid policy document; names the function, the policy and the statement."""

    def __init__(self, message: str, *, function: str = "", policy: str = "", sid: str = "") -> None:
        super().__init__(message)
        self.function, self.policy, self.sid = function, policy, sid


@dataclass(frozen=True)
class Finding:
    level: str  # "error" (the cloud refuses the document) or "warning" (valid, but flagged)
    statement: int | None  # index in Statement, None for the document itself
    sid: str
    message: str


def _strings(value: Any) -> list[str] | None:
    """A string or a non-empty list of strings, as a list; None when malformed."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def arn_problem(cloud: str, resource: str) -> str | None:
    """Why ``resource`` is not a valid ARN for ``cloud`` (None when it is)."""
    if resource == "*":
        return None
    if cloud == "aws":
        parts = resource.split(":", 5)
        if len(parts) < 6 or parts[0] != "arn":
            return f"{resource!r} is not an ARN: arn:<partition>:<service>:<region>:<account>:<resource>"
        if parts[1] not in AWS_PARTITIONS and parts[1] != "*":
            return f"{resource!r}: unknown partition {parts[1]!r} (aws, aws-cn, aws-us-gov)"
        if not parts[2] or not parts[5]:
            return f"{resource!r}: the service and the resource must not be empty"
        return None
    parts = resource.split(":", 4)
    if len(parts) < 5 or parts[0] != "acs":
        return f"{resource!r} is not an Alibaba Cloud resource name: acs:<service>:<region>:<account>:<resource>"
    if not parts[1] or not parts[4]:
        return f"{resource!r}: the service and the resource must not be empty"
    return None


def validate(document: Mapping[str, Any] | str, cloud: str) -> list[Finding]:
    """Every problem in ``document`` as IAM (``aws``) or RAM (``ali``) would see it at creation."""
    if cloud not in MAX_SIZE:
        raise ValueError(f"unknown cloud {cloud!r}")
    out: list[Finding] = []

    def error(i: int | None, sid: str, message: str) -> None:
        out.append(Finding("error", i, sid, message))

    text = document if isinstance(document, str) else json.dumps(document)
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError as exc:
            return [Finding("error", None, "", f"not JSON: {exc}")]
    if not isinstance(document, Mapping):
        return [Finding("error", None, "", "the document must be a JSON object")]
    size = len(re.sub(r"\s", "", text)) if cloud == "aws" else len(text)
    if size > MAX_SIZE[cloud]:
        error(None, "", f"{size} characters; at most {MAX_SIZE[cloud]}")
    for key in document:
        if key not in TOP_KEYS[cloud]:
            error(None, "", f"unknown element {key!r}; allowed: {sorted(TOP_KEYS[cloud])}")
    version = document.get("Version")
    if cloud == "aws":
        if version is None:
            out.append(Finding("warning", None, "", "no Version: IAM assumes 2008-10-17 (no policy variables)"))
        elif version not in AWS_VERSIONS:
            error(None, "", f"Version {version!r}; allowed: {', '.join(AWS_VERSIONS)}")
    elif version != RAM_VERSION:
        error(None, "", f"Version {version!r}; RAM requires {RAM_VERSION!r}")
    statements = document.get("Statement")
    if cloud == "aws" and isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        error(None, "", "Statement must be a non-empty list of statements")
        return out
    seen: dict[str, int] = {}
    for i, st in enumerate(statements):
        if not isinstance(st, Mapping):
            error(i, "", f"statement {i} is not an object")
            continue
        sid = st.get("Sid", "")
        if not isinstance(sid, str):
            error(i, "", f"statement {i}: Sid must be a string")
            sid = str(sid)
        elif cloud == "aws" and not SID.match(sid):
            error(i, sid, f"Sid {sid!r}: IAM accepts only ASCII letters and digits")
        if sid:
            if sid in seen:
                error(i, sid, f"duplicate Sid {sid!r} (statements {seen[sid]} and {i})")
            seen.setdefault(sid, i)
        where = f"statement {i}" + (f" ({sid})" if sid else "")
        for key in st:
            if key in ("Principal", "NotPrincipal"):
                error(i, sid, f"{where}: {key} is not allowed in an identity policy")
            elif key not in STATEMENT_KEYS[cloud]:
                error(i, sid, f"{where}: unknown element {key!r}")
        if st.get("Effect") not in ("Allow", "Deny"):
            error(i, sid, f"{where}: Effect {st.get('Effect')!r}; allowed: 'Allow', 'Deny'")
        for element, negated in (("Action", "NotAction"), ("Resource", "NotResource")):
            present = [k for k in (element, negated) if k in st]
            if len(present) != 1:
                error(i, sid, f"{where}: exactly one of {element} and {negated} is required")
                continue
            values = _strings(st[present[0]])
            if values is None:
                error(i, sid, f"{where}: {present[0]} must be a string or a non-empty list of strings")
                continue
            for value in values:
                if element == "Action":
                    if value != "*" and not ACTION.match(value):
                        error(i, sid, f"{where}: action {value!r} is not '<service>:<action>'")
                    elif "*" in value or "?" in value:
                        out.append(Finding("warning", i, sid, f"{where}: wildcard action {value!r}"))
                else:
                    problem = arn_problem(cloud, value)
                    if problem:
                        error(i, sid, f"{where}: {problem}")
        if "Condition" in st:
            cond = st["Condition"]
            if not isinstance(cond, Mapping) or not all(isinstance(v, Mapping) and v for v in cond.values()):
                error(i, sid, f"{where}: Condition must map operators to {{key: value(s)}}")
    return out


def check(document: Mapping[str, Any] | str, cloud: str, *, function: str = "", policy: str = "") -> list[Finding]:
    """Raise :class:`PolicyError` on the first error; return the warnings."""
    findings = validate(document, cloud)
    for f in findings:
        if f.level == "error":
            who = f"function {function!r} " if function else ""
            raise PolicyError(f"{who}policy {policy!r}: {f.message}", function=function, policy=policy, sid=f.sid)
    return findings


@lru_cache(maxsize=4096)
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile(f"^{regex}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def matches(glob: str, value: str, *, ignore_case: bool = False) -> bool:
    return bool(_pattern(glob, ignore_case).match(value))


def _element_matches(st: Mapping[str, Any], element: str, value: str, ignore_case: bool) -> bool:
    if element in st:
        return any(matches(g, value, ignore_case=ignore_case) for g in _strings(st[element]) or [])
    negated = f"Not{element}"
    return not any(matches(g, value, ignore_case=ignore_case) for g in _strings(st.get(negated)) or [])


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str  # "allow", "explicit-deny", "implicit-deny"
    statement: Mapping[str, Any] | None = None  # the statement that decided (None: implicit deny)


def _statements(document: Mapping[str, Any] | str) -> Iterable[Mapping[str, Any]]:
    doc = json.loads(document) if isinstance(document, str) else document
    statements = doc.get("Statement", [])
    return [statements] if isinstance(statements, Mapping) else statements


def evaluate(documents: Sequence[Mapping[str, Any] | str], action: str, resource: str) -> Decision:
    """The decision for ``action`` on ``resource`` under ``documents`` (see the module docstring)."""
    allow: Mapping[str, Any] | None = None
    for document in documents:
        for st in _statements(document):
            if not (_element_matches(st, "Action", action, True) and _element_matches(st, "Resource", resource, False)):
                continue
            conditional = "Condition" in st
            if st.get("Effect") == "Deny":
                # A conditional Deny is assumed to apply (safe side).
                return Decision(False, "explicit-deny", st)
            if st.get("Effect") == "Allow" and not conditional and allow is None:
                allow = st
    if allow is not None:
        return Decision(True, "allow", allow)
    return Decision(False, "implicit-deny", None)


def is_allowed(documents: Sequence[Mapping[str, Any] | str], action: str, resource: str) -> bool:
    return evaluate(documents, action, resource).allowed
