"""The top-level API: every public name from ``import assocrate``, the heavy ones loaded lazily."""

from __future__ import annotations

import subprocess
import sys

import pytest

import assocrate as aa

ASKED_FOR = (  # the names issue 17 lists, used as a user would
    "design", "local_stability", "lyapunov_certificate", "certified_radius", "verify", "simulate",
    "euler_maruyama", "retrieve", "make_cues", "basin_profile", "capacity", "phase_diagram",
    "dale_realization", "save_network", "load_network", "InvalidInput",
)


@pytest.mark.parametrize("name", sorted(aa.__all__))
def test_every_public_name_resolves(name):
    assert getattr(aa, name) is not None


@pytest.mark.parametrize("name", ASKED_FOR)
def test_the_names_users_look_for_are_public(name):
    assert name in aa.__all__ and name in dir(aa)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        aa.no_such_name  # noqa: B018


def _modules_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(output.split())


@pytest.mark.parametrize("statement", ["import assocrate", "import assocrate.stability", "import assocrate.certify"])
def test_importing_does_not_load_cvxpy(statement):
    loaded = _modules_after(statement)
    assert "assocrate" in loaded and "cvxpy" not in loaded


def test_import_assocrate_stays_light():
    loaded = _modules_after("import assocrate")
    assert not {"cvxpy", "dask", "distributed", "matplotlib", "numba", "xarray"} & loaded


def test_a_lazy_name_loads_its_subpackage():
    loaded = _modules_after("import assocrate; assocrate.certified_radius")
    assert "assocrate.certify" in loaded
