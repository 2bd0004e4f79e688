"""Data sets as binary patterns: letter bitmaps shipped with assocrate (``assocrate/data/letters.txt``)
and the prototypes of scikit-learn's 8 x 8 handwritten digits (optional: needs scikit-learn)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np

from ._validation import check_fraction
from .core.patterns import random_patterns
from .errors import InvalidInput

__all__ = ["DIGIT_THRESHOLD", "LetterPatterns", "digit_prototypes", "letter_patterns"]

#: A digit pixel (0-16 in scikit-learn's 8 x 8 digits) is on when it exceeds this.
DIGIT_THRESHOLD = 8


@dataclass(frozen=True, repr=False)
class LetterPatterns:
    """Letter bitmaps as binary patterns (shipped in ``assocrate/data/letters.txt``).

    Attributes
    ----------
    patterns : numpy.ndarray of bool, shape (N, K)
        Column k is letter k: its ``rows * columns`` pixels (row-major) first, then the padding units.
    letters : str
        The K letters, in column order.
    shape : (int, int)
        Bitmap shape (rows, columns).
    """

    patterns: np.ndarray
    letters: str
    shape: tuple[int, int]

    @property
    def n_pixels(self) -> int:
        """Pixels per bitmap."""
        return self.shape[0] * self.shape[1]

    def image(self, x: np.ndarray) -> np.ndarray:
        """The bitmap part of a state or pattern (N,) as a 2-D image of `shape`."""
        return np.asarray(x)[: self.n_pixels].reshape(self.shape)

    def summary(self) -> str:
        """The letters, the bitmap shape and the padding, on one line."""
        rows, columns = self.shape
        padding = self.patterns.shape[0] - self.n_pixels
        return (
            f"{len(self.letters)} letters {self.letters!r}: {rows} x {columns} bitmaps and {padding} random "
            f"padding units (N = {self.patterns.shape[0]})"
        )

    def __repr__(self) -> str:
        return f"LetterPatterns(letters={self.letters!r}, shape={self.shape}, n_units={self.patterns.shape[0]})"


def _read_letters() -> tuple[dict[str, np.ndarray], tuple[int, int]]:
    text = resources.files("assocrate").joinpath("data/letters.txt").read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    bitmaps, i = {}, 0
    while i < len(lines):
        name, rows = lines[i], []
        i += 1
        while i < len(lines) and set(lines[i]) <= {"#", "."} and len(lines[i]) > 1:
            rows.append([c == "#" for c in lines[i]])
            i += 1
        bitmaps[name] = np.array(rows, dtype=bool)
    shapes = {b.shape for b in bitmaps.values()}
    if len(shapes) != 1:  # pragma: no cover - guards the shipped data file
        raise InvalidInput(f"letters.txt holds bitmaps of different shapes: {sorted(shapes)}")
    return bitmaps, shapes.pop()


def letter_patterns(
    letters: str | None = None,
    *,
    padding: int = 0,
    q: float = 0.2,
    seed: int | np.random.Generator | None = None,
) -> LetterPatterns:
    """Letter bitmaps (12 x 10 pixels) as patterns, optionally padded with random units.

    Letters share many pixels (their overlaps are large and unequal), so a network of bare
    bitmaps is far from the design's assumptions. Padding appends `padding` i.i.d. Bernoulli(q)
    units to every pattern, which makes the patterns nearly independent while the picture keeps
    showing the letter.

    Parameters
    ----------
    letters : str, optional
        Which letters, e.g. ``"ACEHKOSTXZ"`` (all shipped letters by default).
    padding : int, default 0
        Random units appended to each pattern.
    q : float, default 0.2
        Activity of the padding units.
    seed : int, numpy.random.Generator or None
        Seeds the padding.

    Returns
    -------
    LetterPatterns

    Examples
    --------
    >>> import assocrate as aa
    >>> letters = aa.letter_patterns("TX", padding=380, seed=0)
    >>> letters.patterns.shape, letters.shape
    ((500, 2), (12, 10))
    >>> letters.summary()
    "2 letters 'TX': 12 x 10 bitmaps and 380 random padding units (N = 500)"
    """
    bitmaps, shape = _read_letters()
    letters = "".join(bitmaps) if letters is None else str(letters)
    unknown = sorted(set(letters) - set(bitmaps))
    if unknown or not letters:
        raise InvalidInput(f"`letters` must be a non-empty string of {''.join(bitmaps)!r}; got {letters!r}")
    if isinstance(padding, bool) or not isinstance(padding, (int, np.integer)) or padding < 0:
        raise InvalidInput(f"`padding` must be an integer >= 0; got {padding!r}")
    pixels = np.column_stack([bitmaps[letter].ravel() for letter in letters])
    if padding:
        pixels = np.vstack([pixels, random_patterns(int(padding), len(letters), check_fraction("q", q), seed=seed)])
    pixels.flags.writeable = False
    return LetterPatterns(patterns=pixels, letters=letters, shape=shape)


def digit_prototypes() -> np.ndarray:
    """One binary prototype per digit from scikit-learn's 8 x 8 handwritten digits (64 x 10).

    Every image is binarized at pixel > :data:`DIGIT_THRESHOLD`; the prototype of a digit has a
    pixel on when it is on in more than half of that digit's images (majority vote). Column k is
    digit k, pixels row-major. The data ship with scikit-learn (no download).

    Raises
    ------
    ImportError
        If scikit-learn is not installed (``pip install "assocrate[examples]"``).

    Examples
    --------
    >>> xi = digit_prototypes()  # doctest: +SKIP
    >>> xi.shape, xi.sum(axis=0).tolist()  # doctest: +SKIP
    ((64, 10), [19, 18, 20, 18, 17, 17, 21, 18, 21, 18])
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "digit_prototypes needs scikit-learn: pip install scikit-learn (or assocrate[examples])"
        ) from error
    digits = load_digits()
    on = digits.images > DIGIT_THRESHOLD
    columns = [on[digits.target == k].mean(axis=0).ravel() > 0.5 for k in range(10)]
    result = np.ascontiguousarray(np.column_stack(columns))
    result.flags.writeable = False
    return result
