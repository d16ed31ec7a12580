"""The Python API in the habits of its ecosystem: SDV's fit/sample and
imbalanced-learn's fit_resample."""

from mixsynth.api.multi_table import MultiTableMixupSynthesizer
from mixsynth.api.oversampler import MixupOverSampler
from mixsynth.api.synthesizer import MixupSynthesizer
from mixsynth.engine.conditions import Condition

__all__ = ["Condition", "MixupOverSampler", "MixupSynthesizer", "MultiTableMixupSynthesizer"]
