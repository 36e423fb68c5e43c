import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True, scope="session")
def _run_store_in_tmp(tmp_path_factory):
    """Runs written by the tests (fixtures of any scope included) are indexed in a throwaway
    run store, never in ./runs."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DOPASPIKE_RUNS", str(tmp_path_factory.mktemp("run-store")))
        yield
