"""The one place fuzz tests get their Hypothesis settings: bounded, reproducible, no example database."""

from __future__ import annotations

from hypothesis import HealthCheck, settings


def bounded(max_examples: int) -> settings:
    """Settings for a fuzz test: max_examples examples, derandomized (CI reruns the same ones), nothing written to
    .hypothesis/examples. No deadline and no too_slow health check: both measure time, and this machine is shared."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        print_blob=False,
        suppress_health_check=[HealthCheck.too_slow],
    )
