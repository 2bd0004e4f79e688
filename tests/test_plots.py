"""The overlap figure says which overlap normalisation it shows (assocrate.plots, issue 16)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from assocrate.plots import overlap_time_courses
from assocrate.retrieval import make_cues, retrieve


@pytest.fixture(scope="module")
def runs(random_network):
    cues = make_cues(random_network, "delete", 0.4, seed=3, memories=[0, 1])
    return {normalize: retrieve(random_network, cues, n_steps=100, normalize=normalize) for normalize in ("pattern", "nq")}


def test_overlap_figure_labels_the_normalisation(runs):
    own = overlap_time_courses({"own size": runs["pattern"]})
    nq = overlap_time_courses({"N q": runs["nq"]})
    assert own.axes[0].get_ylabel().endswith(r"/ |\xi^\nu|$") and nq.axes[0].get_ylabel().endswith("/ (N q)$")
    mixed = overlap_time_courses({"own size": runs["pattern"], "N q": runs["nq"]})
    assert [ax.get_ylabel()[-8:] for ax in mixed.axes] == [r"|\xi^\nu|$"[-8:], "/ (N q)$"]
    for figure in (own, nq, mixed):
        plt.close(figure)
