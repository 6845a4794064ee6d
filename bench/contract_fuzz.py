"""Schemathesis against a running server's /openapi.json, as a resident, an operator or an
agency, with every check Schemathesis has (``--checks all``).

Agency requests are signed over the exact bytes sent (a ``requests`` auth hook sees the
prepared request), which the command line cannot do; so this drives Schemathesis from
Python: for each operation the role may call, ``examples`` positive and negative cases from
a fixed seed, each sent and checked.

The suite runs it briefly (tests/test_demo_hostile.py); ``python -m bench.contract_fuzz``
runs it longer against a server you started:

    python -m bench.contract_fuzz --api http://127.0.0.1:8000 --role resident \\
        --bearer TOKEN --examples 500
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import secrets
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.generation import GenerationMode

# Failures the "done when" counts: a server error, a response that is not what the
# document says (schema, status, content type, headers), a required parameter not enforced.
MUST_BE_ZERO = frozenset(
    {
        "ServerError",
        "JsonSchemaError",
        "UndefinedStatusCode",
        "UndefinedContentType",
        "MissingContentType",
        "MalformedMediaType",
        "MissingHeaders",
        "MalformedJson",
        "ContentDeserializationError",
        "MissingHeaderNotRejected",
        "AllowHeaderMismatch",
        "UnsupportedMethodResponse",
    }
)
# Checks that time the server: a slow shared CI machine is not a contract failure.
NOT_CONTRACT = frozenset({"max_response_time"})


class AgencySigner(requests.auth.AuthBase):
    """Signs the prepared request (docs: agency contract), with a fresh X-Nonce each time.

    Only a request that carries an ``X-Signature`` placeholder is signed, so a check that
    strips the credentials to see them refused really sends none.
    """

    def __init__(self, key: str, secret: str) -> None:
        self.key, self.secret = key, secret

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        if "X-Signature" not in r.headers:
            return r
        body = r.body or b""
        if isinstance(body, str):
            body = body.encode()
        timestamp, nonce = str(int(time.time())), secrets.token_urlsafe(16)
        path = urlsplit(r.url or "").path
        message = "\n".join(
            [str(r.method).upper(), path, timestamp, nonce, hashlib.sha256(body).hexdigest()]
        )
        r.headers["X-Agency-Key"] = self.key
        r.headers["X-Timestamp"] = timestamp
        r.headers["X-Nonce"] = nonce
        r.headers["X-Signature"] = hmac.new(
            self.secret.encode(), message.encode(), hashlib.sha256
        ).hexdigest()
        return r


@dataclass
class Findings:
    cases: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)
    samples: dict[str, str] = field(default_factory=dict)

    def must_be_zero(self) -> dict[str, int]:
        return {k: n for k, n in self.by_kind.items() if k in MUST_BE_ZERO}

    def record(self, operation: str, failure: Failure) -> None:
        kind = type(failure).__name__
        self.by_kind[kind] += 1
        self.samples.setdefault(f"{kind} {operation}", failure.message[:400])


def _belongs(operation: Any, role: str) -> bool:
    """Operations the role signs in for; public ones go with the resident."""
    security = operation.definition.raw.get("security") or []
    schemes = {name for requirement in security for name in requirement}
    wanted = {"resident": "bearer", "operator": "operatorBearer", "agency": "agencySignature"}
    return wanted[role] in schemes or (role == "resident" and not schemes)


def _failures(error: BaseException) -> Iterator[Failure]:
    if isinstance(error, FailureGroup):
        for inner in error.exceptions:
            yield from _failures(inner)
    elif isinstance(error, Failure):
        yield error


def run(
    api: str,
    role: str,
    session: requests.Session,
    credentials: dict[str, str],
    *,
    examples: int,
    random_seed: int = 14,
    only: str | None = None,
) -> Findings:
    load_all_checks()
    checks = [c for c in CHECKS.get_all() if getattr(c, "__name__", "") not in NOT_CONTRACT]
    schema = schemathesis.openapi.from_url(f"{api}/openapi.json")
    findings = Findings()
    for result in schema.get_all_operations():
        operation = result.ok()
        if not _belongs(operation, role) or (only and only not in operation.label):
            continue
        _exercise(operation, api, session, credentials, checks, findings, examples, random_seed)
    return findings


def _exercise(
    operation: Any,
    api: str,
    session: requests.Session,
    credentials: dict[str, str],
    checks: list[Any],
    findings: Findings,
    examples: int,
    random_seed: int,
) -> None:
    strategy = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )
    label = operation.label

    @seed(random_seed)
    @settings(
        max_examples=examples,
        phases=[Phase.explicit, Phase.generate],
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(strategy)
    def exercise(case: Any) -> None:
        findings.cases += 1
        response = case.call(base_url=api, session=session, headers=credentials, timeout=30)
        try:
            case.validate_response(
                response,
                checks=checks,
                headers=credentials,
                transport_kwargs={"session": session, "headers": credentials},
            )
        except (Failure, FailureGroup) as error:
            for failure in _failures(error):
                findings.record(label, failure)

    exercise()


def signed_in(
    role: str, bearer: str | None, agency_key: str | None, agency_secret: str | None
) -> tuple[requests.Session, dict[str, str]]:
    """A session and the credential headers each case is sent with."""
    session = requests.Session()
    if role == "agency":
        session.auth = AgencySigner(agency_key or "", agency_secret or "")
        return session, {"X-Signature": "signed-when-sent"}
    return session, {"Authorization": f"Bearer {bearer}"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--api", required=True)
    parser.add_argument("--role", choices=("resident", "operator", "agency"), required=True)
    parser.add_argument("--bearer", help="the resident's or operator's token")
    parser.add_argument("--agency-key")
    parser.add_argument("--agency-secret")
    parser.add_argument("--examples", type=int, default=500)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--only", help="operations whose label contains this text")
    args = parser.parse_args(argv)
    session, credentials = signed_in(args.role, args.bearer, args.agency_key, args.agency_secret)
    findings = run(
        args.api,
        args.role,
        session,
        credentials,
        examples=args.examples,
        random_seed=args.seed,
        only=args.only,
    )
    print(f"{findings.cases} cases; failures by kind: {dict(findings.by_kind)}")
    for where, message in sorted(findings.samples.items()):
        print(f"- {where}: {message}")
    return 1 if findings.must_be_zero() else 0


if __name__ == "__main__":
    sys.exit(main())
