"""Schemathesis against the app's own OpenAPI schema, in process: never a server error.

Every operation in /openapi.json gets up to MAX_EXAMPLES generated requests that follow
the schema (positive) and as many that break it (negative), with a fixed seed, so a run
is repeatable. Write endpoints get the bearer token, so their bodies are really ingested.
A 5xx, or an exception escaping the app, is collected with a curl line to reproduce it.
One test per operation, so a known bug in one marks only that one.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from geomap.api import create_app
from geomap.ingest import ingest_text
from geomap.store import open_store

MAX_EXAMPLES = 30  # per operation and per mode: ~1,300 requests in all
BUDGET_S = 5.0  # and at most this long per operation and mode (a gazetteer reload is slow)
TOKEN = "schemathesis-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SEED_TEXT = (
    "Russian jets struck Idlib on July 3, 2024. Turkish drones hit Qamishli on May 2, 2024. "
    "Talks in Astana brought Russia, Turkey and Iran together."
)
# Known server errors, each fixed elsewhere; the mark goes when the fix lands.
KNOWN: dict[tuple[str, str], str] = {}  # operations with a known server error (none now)
RAN: Counter[str] = Counter()  # examples per operation and mode, summed up at the end


def _operations() -> list[tuple[str, str]]:
    """(METHOD, path) of every documented operation (the app opens no store for this)."""
    paths = create_app().openapi()["paths"]
    return [(method.upper(), path) for path, ops in paths.items() for method in ops]


def _param(method: str, path: str):
    marks = []
    if (method, path) in KNOWN:
        marks.append(pytest.mark.xfail(strict=True, reason=KNOWN[(method, path)]))
    return pytest.param(method, path, id=f"{method} {path}", marks=marks)


@pytest.fixture(scope="module")
def schema(pipeline, tmp_path_factory):
    store = open_store(str(tmp_path_factory.mktemp("schemathesis") / "s.db"))
    ingest_text(store, pipeline, SEED_TEXT, title="Seed", source="test")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("GEOMAP_CORS_ORIGINS", raising=False)
        mp.delenv("GEOMAP_MAX_BODY", raising=False)
        app = create_app(store, pipeline)
    return schemathesis.openapi.from_asgi("/openapi.json", app)


class _OutOfTime(Exception):
    """Raised inside a Hypothesis example to end an operation's run at its time budget."""


def _fuzz(operation, mode: GenerationMode, label: str, errors: list[str]) -> None:
    """Up to MAX_EXAMPLES generated requests of one mode; server errors go to ``errors``."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,  # a fixed seed: the same requests on every run
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # errors are collected, not shrunk
        suppress_health_check=list(HealthCheck),
    )
    def call(case) -> None:
        if time.monotonic() > deadline:
            raise _OutOfTime
        RAN[label] += 1
        try:
            response = case.call(headers=AUTH)
        except Exception as exc:  # an exception escaping the app is a server error
            errors.append(f"{label}: {exc!r}\n  {case.as_curl_command(headers=AUTH)}")
            return
        if response.status_code >= 500:
            errors.append(
                f"{label} -> {response.status_code} {response.text[:200]!r}\n"
                f"  {case.as_curl_command(headers=AUTH)}"
            )

    deadline = time.monotonic() + BUDGET_S
    try:
        call()
    except _OutOfTime:  # the examples so far ran; the rest of the budget went to others
        pass
    except Unsatisfiable:  # no parameters and no body: nothing to make invalid
        assert mode is GenerationMode.NEGATIVE, label


@pytest.mark.parametrize(("method", "path"), [_param(m, p) for m, p in _operations()])
def test_no_server_error(schema, monkeypatch, method, path):
    monkeypatch.setenv("GEOMAP_API_TOKEN", TOKEN)
    operation = schema[path][method]
    errors: list[str] = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        _fuzz(operation, mode, f"{method} {path} [{mode.value}]", errors)
    assert not errors, f"{len(errors)} server error(s):\n" + "\n".join(errors[:10])


def test_examples_ran(capsys):
    """Runs after the operations (file order): reports how many requests were generated."""
    if not RAN:
        pytest.skip("no schemathesis operation ran (deselected)")
    total = sum(RAN.values())
    operations = {label.rsplit(" [", 1)[0] for label in RAN}
    with capsys.disabled():
        print(
            f"\nschemathesis: {total} examples over {len(operations)} operations "
            f"(positive and negative, at most {MAX_EXAMPLES} each or {BUDGET_S:.0f} s, fixed seed)"
        )
    assert total >= 10 * len(operations)
