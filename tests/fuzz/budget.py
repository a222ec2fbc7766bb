"""The one place fuzz tests get their Hypothesis settings: bounded, reproducible, no example database."""

from __future__ import annotations

from hypothesis import HealthCheck, settings


def bounded(max_examples: int, *, live_server: bool = False) -> settings:
    """Settings for a fuzz test: max_examples examples, derandomized (CI reruns the same ones), no deadline (the
    machine is shared), nothing written to .hypothesis/. A test against one live server per test suppresses the
    function-scoped-fixture check: sharing the server across examples is the point."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        print_blob=False,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow] if live_server else [],
    )
