"""The Ray engine's parts that need no cluster: thread pinning of an actor, address checks, Ray missing."""

from __future__ import annotations

import os
import sys

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from civicpulse.analysis.labellers import THREAD_VARIABLES, LabellerError, thread_counts
from civicpulse.analysis.pipeline import Analyzer
from civicpulse.runtime import ray_enrich
from civicpulse.runtime.ray_enrich import AnalyzerRecipe, RayLabeller, RayUnavailable


def test_an_actor_pins_every_native_pool_to_its_cpus(monkeypatch):
    # 3 is neither this machine's core count nor a library default, so only the pinning can produce it.
    for name in THREAD_VARIABLES:
        monkeypatch.setenv(name, "1")
    recipe = AnalyzerRecipe.of(Analyzer(tasks=("language", "keywords")), None, {})
    with threadpool_limits(limits=None):  # restores this process's pools afterwards
        before = {pool["filepath"]: pool["num_threads"] for pool in threadpool_info()}
        worker = ray_enrich._Worker(recipe, threads=3)
        counts = worker.ready()
        assert counts == thread_counts()
        assert counts and set(counts.values()) == {3}, counts
        assert len(counts) >= len(before)
    assert all(os.environ[name] == "3" for name in THREAD_VARIABLES)  # engines loaded later read these


def test_a_worker_with_other_models_refuses_to_start():
    recipe = AnalyzerRecipe.of(Analyzer(tasks=("language",)), None, {})
    forged = AnalyzerRecipe(recipe.tasks, recipe.mode, recipe.models, recipe.taxonomy, "other-models")
    with pytest.raises(LabellerError, match="the driver has other-models"):
        forged.build()


@pytest.mark.parametrize("address", ["localhost", "10.0.0.5:port", "ray://:10001"])
def test_a_malformed_address_is_named(address):
    with pytest.raises(ValueError, match="expected auto, HOST:PORT or ray://HOST:PORT"):
        ray_enrich._check_address(address)


def test_an_unreachable_address_fails_fast():
    with pytest.raises(ConnectionError, match=r"nothing answers at 127\.0\.0\.1:9 "):
        ray_enrich._check_address("127.0.0.1:9", timeout=2.0)


def test_a_ray_client_address_without_ray_client_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "grpc", None)  # as where only Ray core is installed
    with pytest.raises(RayUnavailable, match=r"pip install 'ray\[client\]'"):
        ray_enrich._check_address("ray://127.0.0.1:10001")


def test_without_ray_the_engine_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails as if Ray were not installed
    recipe = AnalyzerRecipe.of(Analyzer(tasks=("language",)), None, {})
    with pytest.raises(RayUnavailable, match=r"pip install 'civicpulse\[ray\]'"):
        RayLabeller(recipe, workers=1)
