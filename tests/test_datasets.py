"""The data sets shipped with assocrate: letter bitmaps (assocrate.datasets)."""

from __future__ import annotations

import numpy as np
import pytest

import assocrate as aa
from assocrate.datasets import LetterPatterns, letter_patterns
from assocrate.retrieval import make_cues, retrieve

from .reference import REFERENCE_SIGMOID, design_quietly


def test_letter_patterns_shipped_and_padded():
    bare = letter_patterns()
    assert bare.shape == (12, 10) and bare.patterns.shape == (120, len(bare.letters)) and len(bare.letters) >= 8
    padded = letter_patterns("TXO", padding=380, seed=0)
    assert padded.patterns.shape == (500, 3)
    np.testing.assert_array_equal(padded.image(padded.patterns[:, 0]), bare.image(bare.patterns[:, bare.letters.index("T")]))
    with pytest.raises(ValueError, match="`letters` must be"):
        letter_patterns("a")


def test_padded_letters_are_retrieved_and_bare_letters_are_not():
    """Bare bitmaps overlap too much for the design; random padding makes them retrievable."""
    padded = letter_patterns("AEKOSTXZ", padding=400, seed=0)
    net = design_quietly(padded.patterns, REFERENCE_SIGMOID, -0.3, 0.95)
    result = retrieve(net, make_cues(net, "delete", 0.4, seed=2))
    assert result.success_rate == 1.0
    bare = letter_patterns("AEKOSTXZ")
    bare_net = design_quietly(bare.patterns, REFERENCE_SIGMOID, -0.3, 0.95)
    assert retrieve(bare_net, make_cues(bare_net, "delete", 0.4, seed=2)).success_rate < 0.5



def test_letters_are_read_only_and_reproducible():
    letters = letter_patterns("AC", padding=50, q=0.3, seed=4)
    assert isinstance(letters, LetterPatterns) and letters.letters == "AC" and letters.n_pixels == 120
    assert letters.patterns.dtype == bool and not letters.patterns.flags.writeable
    np.testing.assert_array_equal(letters.patterns, letter_patterns("AC", padding=50, q=0.3, seed=4).patterns)
    assert letters.image(letters.patterns[:, 1]).shape == (12, 10)
    assert "LetterPatterns(letters='AC'" in repr(letters) and "2 letters" in letters.summary()
    assert aa.letter_patterns is letter_patterns


@pytest.mark.parametrize(
    "kwargs, message",
    [({"letters": ""}, "`letters` must be"), ({"padding": -1}, "`padding` must be"),
     ({"padding": True}, "`padding` must be"), ({"padding": 5, "q": 1.5}, "`q` must be in")],
)
def test_letter_patterns_reject_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        letter_patterns(**kwargs)
