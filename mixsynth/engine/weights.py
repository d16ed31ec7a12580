"""Weight distributions for mixup: vanilla Beta/Uniform, the expanded Beta, the solver.

A synthetic row is ``lam * x_i + (1 - lam) * x_j`` with one ``lam`` per row. Everything
the theory predicts (docs/theory.md) follows from the moments of ``lam``, so each
distribution here also reports its theory figures: mean, the variance factor ``rho``,
the distortion index ``delta``, the donor-covariance factor ``kappa`` and the
novelty (squared distance to the nearer donor).

Every weight distribution is an expanded Beta, EpBeta(alpha, beta; eps0, eps1):
``lam = -eps0 + (1 + eps0 + eps1) * B`` with ``B ~ Beta(alpha, beta)``; vanilla mixup is
the case ``eps0 = eps1 = 0`` and Uniform(0, 1) is Beta(1, 1). The frozen distribution
is exactly ``scipy.stats.beta(alpha, beta, loc=-eps0, scale=1 + eps0 + eps1)`` (see
:meth:`WeightDistribution.frozen`; the tests check the closed forms against it).
The theory figures use closed forms with ``scipy.special`` (0.2 s to import, against
0.9 s for ``scipy.stats``), and sampling uses numpy's ``Generator.beta``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mixsynth.errors import OptionError

#: Default vanilla weights: Beta(0.2, 0.2), the common choice in the mixup literature.
DEFAULT_VANILLA_ALPHA = 0.2
#: Default expansion eps0 = eps1 of the generalized weights (docs/theory.md, "Defaults, and why").
DEFAULT_EPS = 0.05
#: Default mixing strength 1 - E[lam] of the generalized weights (docs/theory.md, "Defaults, and why").
DEFAULT_MIX_STRENGTH = 0.5

#: Largest expansion eps0, eps1: weights in [-10, 11] already put a synthetic value ten
#: donor distances beyond its donors; beyond, every figure is noise (and near 1e200
#: the moments overflow float64).
MAX_EPS = 10.0

SPEC_HELP = (
    "use e.g. 'beta:0.2,0.2', 'beta:0.2', 'uniform', 'epbeta:4.34,1.33,0.3,0.3' or 'margin:0.3'"
)


@dataclass(frozen=True)
class WeightTheory:
    """What the closed-form theory predicts for one weight distribution."""

    mean: float  #: E[lam]
    rho: float  #: variance/covariance factor per generation, 1 - 2 E[lam(1-lam)]
    delta: float  #: distortion index E[(lam(1-lam))^2]
    kappa: float  #: numeric-vs-donor covariance factor E[max(lam, 1-lam)]
    #: E[(1 - w)^2], w = max(lam, 1-lam): squared distance to the nearer donor, in
    #: units of E|x_i - x_j|^2 = 2 * (sum of variances)
    novelty: float
    lower: float  #: lower end of the support
    upper: float  #: upper end of the support

    def variance_after(self, generations: int) -> float:
        """Predicted variance ratio after ``generations`` generations: rho ** g
        (infinite when that overflows float64)."""
        try:
            return math.pow(float(self.rho), generations)
        except OverflowError:
            return math.inf


@dataclass(frozen=True)
class WeightDistribution:
    """EpBeta(alpha, beta; eps0, eps1); vanilla mixup when both eps are 0."""

    alpha: float
    beta: float
    eps0: float = 0.0
    eps1: float = 0.0

    def __post_init__(self) -> None:
        for name in ("alpha", "beta"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise OptionError(
                    f"weight parameter {name} must be a finite number > 0, got {value!r}",
                    SPEC_HELP,
                )
        for name in ("eps0", "eps1"):
            _check_eps(name, getattr(self, name))

    @property
    def loc(self) -> float:
        return -self.eps0

    @property
    def scale(self) -> float:
        return 1.0 + self.eps0 + self.eps1

    @property
    def is_vanilla(self) -> bool:
        """True when every lam lies inside [0, 1] (no extrapolation)."""
        return self.eps0 == 0 and self.eps1 == 0

    def label(self) -> str:
        """The spec string that parses back to this distribution."""
        if self.is_vanilla:
            if self.alpha == 1 and self.beta == 1:
                return "uniform"
            return f"beta:{self.alpha:g},{self.beta:g}"
        return f"epbeta:{self.alpha:.6g},{self.beta:.6g},{self.eps0:g},{self.eps1:g}"

    def frozen(self):
        """The exact ``scipy.stats`` frozen distribution (slow import, theory only)."""
        from scipy import stats

        return stats.beta(self.alpha, self.beta, loc=self.loc, scale=self.scale)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` weights; same law as :meth:`frozen`, without importing scipy."""
        draws = rng.beta(self.alpha, self.beta, size)
        if not self.is_vanilla:
            draws *= self.scale
            draws += self.loc
        return draws

    def moment(self, k: int, below_half: bool = False) -> float:
        """E[lam^k], or the partial moment E[lam^k 1{lam < 1/2}], in closed form.

        With lam = loc + scale * B: E[B^r 1{B < t}] = E[B^r] * I_t(alpha + r, beta),
        I the regularized incomplete Beta function.
        """
        from scipy.special import betainc, comb

        t = (0.5 - self.loc) / self.scale
        total, raw = 0.0, 1.0
        for r in range(k + 1):
            share = float(betainc(self.alpha + r, self.beta, t)) if below_half else 1.0
            total += comb(k, r) * self.loc ** (k - r) * self.scale**r * raw * share
            raw *= (self.alpha + r) / (self.alpha + self.beta + r)
        return total

    def kappa(self) -> float:
        """E[max(lam, 1 - lam)], without importing scipy when the law is symmetric.

        For EpBeta(a, a; e, e): kappa = 1/2 + (1 + 2e) E|B - 1/2| with
        E|B - 1/2| = 1 / (a 4^a B(a, a)). The generate path needs only kappa (for the
        finite-sample target), and this spares it the 0.2 s import of scipy.special.
        """
        if self.alpha == self.beta and self.eps0 == self.eps1:
            a = self.alpha
            log_beta = 2 * math.lgamma(a) - math.lgamma(2 * a)
            return 0.5 + self.scale * math.exp(-math.log(a) - a * math.log(4) - log_beta)
        return self.theory().kappa

    def dominant_square(self) -> float:
        """E[w^2], w = max(lam, 1 - lam): the dominant donor's share of a row's square.

        For EpBeta(a, a; e, e), w = 1/2 + (1 + 2e)|B - 1/2|, so E[w^2] = 1/4 +
        (kappa - 1/2) + (1 + 2e)^2 Var(B), Var(B) = 1 / (4 (2a + 1)): no scipy on the
        generate path. Otherwise E[lam^2] - 2 E[lam; lam < 1/2] + P(lam < 1/2).
        """
        if self.alpha == self.beta and self.eps0 == self.eps1:
            variance = 1 / (4 * (2 * self.alpha + 1))
            return 0.25 + (self.kappa() - 0.5) + self.scale**2 * variance
        below = self.moment(0, below_half=True) - 2 * self.moment(1, below_half=True)
        return self.moment(2) + below

    def theory(self) -> WeightTheory:
        """Closed-form figures from the moments of lam and u = lam(1 - lam)."""
        m1, m2, m3, m4 = (self.moment(k) for k in (1, 2, 3, 4))
        p0, p1, p2 = (self.moment(k, below_half=True) for k in (0, 1, 2))
        # The dominant donor gets weight w = max(lam, 1 - lam).
        return WeightTheory(
            mean=m1,
            rho=1 - 2 * (m1 - m2),
            delta=m2 - 2 * m3 + m4,
            kappa=(m1 - p1) + (p0 - p1),
            novelty=(1 - 2 * m1 + m2) - (p0 - 2 * p1 + p2) + p2,
            lower=self.loc,
            upper=self.loc + self.scale,
        )


def _check_eps(name: str, value: float) -> None:
    """An expansion is a finite number from 0 to MAX_EPS."""
    if not (math.isfinite(value) and 0 <= value <= MAX_EPS):
        raise OptionError(
            f"weight expansion {name} must be a number from 0 to {MAX_EPS:g}, got {value!r}",
            f"epsilon widens the support to [-eps0, 1 + eps1], at most [-{MAX_EPS:g}, "
            f"{1 + MAX_EPS:g}]",
        )


#: Widest spread of a margin's arms ("a little spread": four points distort least, and
#: the measured shapes prefer them, docs/privacy.md).
MAX_MARGIN_SPREAD = 0.5
#: Spread of each arm of the margin weights by default (docs/privacy.md: measured).
DEFAULT_MARGIN_SPREAD = 0.0
MARGIN_HELP = "a privacy margin is a number from 0 to 0.5 (0 means none), e.g. 0.3"


@dataclass(frozen=True)
class MarginWeights:
    r"""Weights with no mass within ``margin`` of 0 and 1 (docs/privacy.md).

    With w = max(lam, 1 - lam) the weight of the dominant donor, an *inner arm* (with
    probability ``q``) puts w uniformly on [1 - D - h_in, 1 - D], h_in = min(h, 1/2 - D),
    and an *outer arm* puts w uniformly on [1 + D, 1 + D + h]; lam is w or 1 - w with
    probability 1/2 each. Every synthetic row then lies at least D |x_i - x_j| from
    both donors on the mixed columns. ``spread`` h = 0 gives the four-point weights
    lam in {D, 1 - D} (probability q) and {-D, 1 + D}, the least distortion E[u^2] of
    any weights with that margin; :func:`margin_weights` solves ``q`` for a variance
    factor. Every figure is a polynomial average over the two arms, in closed form.
    """

    margin: float
    spread: float
    q: float  #: probability of the inner arm

    def __post_init__(self) -> None:
        if not (math.isfinite(self.margin) and 0 < self.margin <= 0.5):
            raise OptionError(
                f"weight margin must be a number above 0 and at most 0.5, got {self.margin!r}",
                MARGIN_HELP,
            )
        if not (math.isfinite(self.spread) and 0 <= self.spread <= MAX_MARGIN_SPREAD):
            raise OptionError(
                f"margin spread must be a number from 0 to {MAX_MARGIN_SPREAD:g}, "
                f"got {self.spread!r}",
                "0 gives the four-point weights; a little spread (0.1) smooths them",
            )
        if not (math.isfinite(self.q) and 0 <= self.q <= 1):
            raise OptionError(
                f"the inner arm's probability must lie in [0, 1], got {self.q!r}",
                "leave it out ('margin:D') to have it solved for variance factor 1",
            )

    is_vanilla = False

    @property
    def arms(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The (low, high) ends of w on the inner and the outer arm."""
        inner = 1 - self.margin
        return (
            (inner - min(self.spread, 0.5 - self.margin), inner),
            (1 + self.margin, 1 + self.margin + self.spread),
        )

    def label(self) -> str:
        """The spec string that parses back to these weights (q to 6 digits)."""
        return f"margin:{self.margin:g},{self.spread:g},{self.q:.6g}"

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` weights lam. One uniform picks the arm and, rescaled, the
        place on it; a second picks the side (lam = w or 1 - w)."""
        (in_low, in_high), (out_low, out_high) = self.arms
        v = rng.random(size)
        inner = v < self.q
        place = np.where(inner, v / self.q if self.q else 0.0, (v - self.q) / (1 - self.q or 1))
        w = np.where(
            inner, in_high - (in_high - in_low) * place, out_low + (out_high - out_low) * place
        )
        flip = rng.random(size) < 0.5
        w[flip] = 1 - w[flip]
        return w

    def expect(self, f: np.polynomial.Polynomial) -> float:
        """E[f(w)] for a polynomial f of the dominant weight w."""
        inner, outer = (_uniform_mean(f, low, high) for low, high in self.arms)
        return self.q * inner + (1 - self.q) * outer

    def kappa(self) -> float:
        return self.theory().kappa

    def theory(self) -> WeightTheory:
        """Closed-form figures; u = lam(1 - lam) = w(1 - w) and lam is symmetric (mean 1/2)."""
        w = np.polynomial.Polynomial([0, 1])
        u = w * (1 - w)
        (_, _), (_, upper) = self.arms
        return WeightTheory(
            mean=0.5,
            rho=1 - 2 * self.expect(u),
            delta=self.expect(u**2),
            kappa=self.expect(w),
            novelty=self.expect((1 - w) ** 2),
            lower=-(self.margin + self.spread),
            upper=upper,
        )


def _uniform_mean(f: np.polynomial.Polynomial, low: float, high: float) -> float:
    """The mean of f over [low, high] (f(low) when the interval is a point)."""
    if high == low:
        return float(f(low))
    primitive = f.integ()
    return float((primitive(high) - primitive(low)) / (high - low))


def margin_weights(
    margin: float, spread: float = DEFAULT_MARGIN_SPREAD, target_rho: float = 1.0
) -> MarginWeights:
    """The margin weights whose variance factor is ``target_rho``: with t = (1 - rho*)/2
    the required E[u], q = (t - E_out[u]) / (E_in[u] - E_out[u]) (docs/privacy.md)."""
    shape = MarginWeights(margin, spread, 1.0)
    u = np.polynomial.Polynomial([0, 1, -1])
    (in_low, in_high), (out_low, out_high) = shape.arms
    inner, outer = _uniform_mean(u, in_low, in_high), _uniform_mean(u, out_low, out_high)
    q = ((1 - target_rho) / 2 - outer) / (inner - outer)
    if not 0 <= q <= 1:
        raise OptionError(
            f"no margin weights with margin {margin:g} reach variance factor {target_rho:g}",
            "the variance factor must lie between the two arms'; use a target near 1",
        )
    return MarginWeights(margin, spread, q)


#: How many real rows make one synthetic row: two (mixup) or four (a pair and a difference).
DONORS = (2, 4)


@dataclass(frozen=True)
class FourDonorWeights:
    r"""Rows from four distinct donors (docs/privacy.md, "Rows from four donors"):

    .. math:: \tilde x = \tfrac12 x_1 + \tfrac12 x_2 + c\,(x_3 - x_4).

    The weights sum to 1, so the mean and every affine equality are kept for any c;
    their squares sum to rho = 1/2 + 2c^2, the variance factor (c = 1/2: rho = 1, and
    the finite-sample target adds a little). No donor weighs more than max(1/2, c), so
    every donor lies at an expected squared distance of about one variance per
    column, half a fresh row's (two-row mixup at margin 1/2: a quarter of it). The
    sampled lam is the pair's weight, 1/2; ``spread`` is c.
    """

    spread: float  #: c, the weight of the difference x_3 - x_4

    is_vanilla = False

    def __post_init__(self) -> None:
        if not (math.isfinite(self.spread) and 0 <= self.spread <= 1):
            raise OptionError(
                f"the four-donor spread must lie in [0, 1], got {self.spread!r}",
                "leave it to --donors 4, which solves it for the variance target",
            )

    def label(self) -> str:
        return f"four-donor:{self.spread:.6g}"

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """The pair's weight of every row: 1/2 (no draw, ``rng`` unused)."""
        return np.full(size, 0.5)

    def kappa(self) -> float:
        return 0.5

    def theory(self) -> WeightTheory:
        """Closed-form figures. kappa is the anchor's weight, 1/2 (what copied columns'
        covariance with the numbers keeps per generation); delta is sum(w^4), the
        factor on the excess kurtosis (1/4 + 2c^4); novelty is 1 - max(w), the least
        expected squared distance to a donor in units of E|x_i - x_j|^2."""
        c = self.spread
        return WeightTheory(
            mean=0.5,
            rho=0.5 + 2 * c * c,
            delta=0.125 + 2 * c**4,
            kappa=0.5,
            novelty=1 - max(0.5, c),
            lower=-c,
            upper=max(0.5, c),
        )


def four_donor_weights(target_rho: float = 1.0) -> FourDonorWeights:
    """The four-donor weights whose squares sum to ``target_rho``: c^2 = (rho* - 1/2)/2."""
    if not (math.isfinite(target_rho) and target_rho >= 0.5):
        raise OptionError(
            f"four donors cannot reach variance factor {target_rho:g}",
            "the factor of four donors is at least 1/2 (c = 0); use a target near 1",
        )
    return FourDonorWeights(math.sqrt((target_rho - 0.5) / 2))


def uniform() -> WeightDistribution:
    return WeightDistribution(1.0, 1.0)


def vanilla_default() -> WeightDistribution:
    return WeightDistribution(DEFAULT_VANILLA_ALPHA, DEFAULT_VANILLA_ALPHA)


#: The weights a generation draws: two rows' (expanded Beta, vanilla, a margin's) or four rows'.
AnyWeights = WeightDistribution | MarginWeights | FourDonorWeights


def parse_weights(spec: str) -> WeightDistribution | MarginWeights:
    """Parse 'beta:A[,B]', 'uniform' or 'epbeta:A,B,EPS0,EPS1' (case-insensitive)."""
    text = spec.strip().lower()
    name, _, args = text.partition(":")
    try:
        values = [float(v) for v in args.split(",")] if args.strip() else []
    except ValueError:
        raise OptionError(f"cannot read the numbers in weight spec {spec!r}", SPEC_HELP) from None
    if name == "uniform" and not values:
        return uniform()
    if name == "beta" and len(values) in (1, 2):
        return WeightDistribution(values[0], values[-1])
    if name == "epbeta" and len(values) == 4:
        return WeightDistribution(*values)
    if name == "margin" and len(values) in (1, 2):
        return margin_weights(*values)
    if name == "margin" and len(values) == 3:
        return MarginWeights(*values)
    raise OptionError(f"unknown weight spec {spec!r}", SPEC_HELP)


def solve_epbeta(
    mix_strength: float = DEFAULT_MIX_STRENGTH,
    eps0: float = DEFAULT_EPS,
    eps1: float = DEFAULT_EPS,
    target_rho: float = 1.0,
) -> WeightDistribution:
    """The EpBeta with mean ``1 - mix_strength`` and variance factor ``target_rho``.

    Closed form of docs/theory.md, "Over generations: collapse, and its fix": with c = 1 + eps0 + eps1, mu = (m + eps0) / c and the
    required Var(lam) v = m(1 - m) - (1 - rho*)/2, the Beta shapes are mu*s and
    (1 - mu)*s with s = c^2 mu (1 - mu) / v - 1.
    """
    if not (0 < mix_strength < 1):
        raise OptionError(
            f"mixing strength must lie strictly between 0 and 1, got {mix_strength!r}",
            "it is 1 - E[lam]; 0.1 makes rows close to their anchor, 0.5 mixes evenly",
        )
    if not (math.isfinite(target_rho) and target_rho > 0):
        raise OptionError(f"target variance factor must be > 0, got {target_rho!r}")
    for name, eps in (("eps0", eps0), ("eps1", eps1)):
        _check_eps(name, eps)
    if eps0 == 0 and eps1 == 0 and target_rho >= 1:
        raise OptionError(
            "variance cannot be preserved with weights inside [0, 1]",
            "give --eps > 0 so the weights may leave [0, 1]",
        )
    m = 1.0 - mix_strength
    c = 1.0 + eps0 + eps1
    mu = (m + eps0) / c
    v = m * (1 - m) - (1 - target_rho) / 2
    s = c * c * mu * (1 - mu) / v - 1 if v > 0 else -1.0
    if not (0 < mu < 1) or v <= 0 or s <= 0:
        raise OptionError(
            f"no expanded Beta with mixing strength {mix_strength:g}, eps ({eps0:g}, {eps1:g}) "
            f"reaches variance factor {target_rho:g}",
            "widen --eps or move --mix-strength towards 0.5",
        )
    return WeightDistribution(mu * s, (1 - mu) * s, eps0, eps1)


def finite_sample_target(n_source: int, n_rows: int, anchor_weight: float, balanced: bool) -> float:
    """The factor rho* that makes E[synthetic sample variance] equal the source's.

    Both variances with ddof=1. A row never mixes with itself: its partner is uniform
    over the n - 1 other rows of its group, so E[z_o | d] = -z_d / (n - 1) (z the
    centred values) and one row's expected square is sigma^2 (n rho - 1)/(n - 1).
    With i.i.d. anchors that is the whole story and rho* = (n + 1)/n. With balanced
    anchors (a shuffled tiling: each source row an anchor equally often) the anchors
    are drawn without replacement, which gives back part of the bootstrap shrinkage:

        rho* = (n + 1)/n - (n - 1)/n * k'^2 (1 - A/N) / (N - 1),   A = r (n - r) / (n - 1),

    with k' = (n k - 1)/(n - 1), k = E[weight of the anchor] (kappa, as mixsynth's
    anchor is the dominant donor), N output rows and r = N mod n (derivation in
    docs/theory.md); for N = n it is 1 + (1 - k'^2)/n.
    """
    if n_source < 2 or n_rows < 2:
        return 1.0
    n = n_source
    return (n + 1) / n - (n - 1) / n * _anchor_term(n, n_rows, anchor_weight, balanced)


def _anchor_term(n: int, big_n: int, anchor_weight: float, balanced: bool) -> float:
    """k'^2 (1 - A/N) / (N - 1): what drawing anchors without replacement gives back."""
    if not balanced:
        return 0.0
    r = big_n % n
    a = r * (n - r) / (n - 1)
    shifted = (n * anchor_weight - 1) / (n - 1)  # E[output - mean | anchor] / (anchor - mean)
    return shifted**2 * (1 - a / big_n) / (big_n - 1)


def sample_variance_factor(
    theory: WeightTheory, n_source: int, n_rows: int, balanced: bool
) -> float:
    """E[s^2 of the output] / s^2 of the source (both ddof=1) for one generation.

    (n rho - 1)/n + (n-1)/n * k'^2 (1 - A/N)/(N-1), the identity behind
    :func:`finite_sample_target` (which makes it 1); with i.i.d. pairs (n rho - 1)/n.
    """
    if n_source < 2 or n_rows < 2:
        return theory.rho
    n = n_source
    anchor = _anchor_term(n, n_rows, theory.kappa, balanced)
    return (n * theory.rho - 1) / n + (n - 1) / n * anchor
