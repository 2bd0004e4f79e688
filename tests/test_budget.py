"""assocrate._budget: up-front cost estimates and the refusal of runs that cannot fit or would not end."""

from __future__ import annotations

import pytest

import assocrate._budget as budget
from assocrate.errors import InvalidInput


@pytest.mark.parametrize(
    "size, text", [(0, "0 B"), (999, "999 B"), (1500, "1.5 kB"), (12e9, "12 GB"), (2.5e15, "2.5 PB"), (3e18, "3e+03 PB")]
)
def test_format_bytes(size, text):
    assert budget.format_bytes(size) == text


@pytest.mark.parametrize("seconds, text", [(0.5, "0.5 s"), (90, "1.5 min"), (7200, "2 h"), (3 * 86400, "3 days"), (86400, "24 h")])
def test_format_seconds(seconds, text):
    assert budget.format_seconds(seconds) == text


def test_retrieval_cost_grows_with_every_size():
    base = budget.retrieval_cost(1000, 10, 10, 1000, 10, 8)
    for bigger in (
        budget.retrieval_cost(2000, 10, 10, 1000, 10, 8), budget.retrieval_cost(1000, 20, 10, 1000, 10, 8),
        budget.retrieval_cost(1000, 10, 20, 1000, 10, 8), budget.retrieval_cost(1000, 10, 10, 2000, 10, 8),
    ):
        assert bigger.bytes > base.bytes and bigger.flops > base.flops
    assert budget.retrieval_cost(1000, 10, 10, 1000, 10, 4).bytes < base.bytes  # float32 halves the states


def test_check_cost_refuses_beyond_the_available_memory(monkeypatch):
    monkeypatch.setattr(budget, "available_memory", lambda: 10**9)
    fits = budget.Cost(bytes=0.5e9, flops=1.0)
    assert budget.check_cost(fits, "run", "`n`") is fits
    with pytest.raises(InvalidInput, match=r"^run needs about 2 GB of memory; 1 GB is available. Lower `n`$"):
        budget.check_cost(budget.Cost(bytes=2e9, flops=1.0), "run", "`n`")


def test_check_cost_refuses_beyond_the_time_limit(monkeypatch):
    monkeypatch.setattr(budget, "available_memory", lambda: 10**12)
    flops = 2 * budget.TIME_LIMIT * budget.FLOPS_PER_SECOND
    with pytest.raises(InvalidInput, match=r"run would take about 2 days .* the limit is 24 h\)\. Lower `t_max`"):
        budget.check_cost(budget.Cost(bytes=1.0, flops=flops), "run", "`t_max`")


def test_the_default_capacity_sweep_is_well_within_bounds():
    cost = budget.capacity_cost(1000, [10, 25, 40, 55, 70, 85, 100], 1, 1000)
    assert cost.bytes < 1e9 and cost.seconds < 600


def test_available_memory_is_positive():
    assert budget.available_memory() > 0
