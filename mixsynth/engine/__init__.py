"""Engines that synthesize a whole table, and the parts they share.

- :mod:`~mixsynth.engine.options`: what decides a synthesis, what a generation is;
- :mod:`~mixsynth.engine.kernel`: the mixup kernel and the pairing schemes;
- :mod:`~mixsynth.engine.reference`: what every generation is held to (the input's);
- :mod:`~mixsynth.engine.memory`: the in-memory engine, slice by slice, and the
  generations loop (driven by :mod:`mixsynth.pipeline` for the CLI);
- :mod:`~mixsynth.engine.moments` and :mod:`~mixsynth.engine.associations`: exact
  moment matching and kept associations, structure over generations;
- :mod:`~mixsynth.engine.dask_driver` and :mod:`~mixsynth.engine.dask_compare`: the
  Dask engine (imported only by ``--engine dask``), the same per-table code on each
  partition of a table too large for one machine.

:mod:`mixsynth.synth` names the entry points callers use.
"""
