"""Engines that drive synthesis over a whole table.

The in-memory engine is :mod:`mixsynth.synth` with :mod:`mixsynth.pipeline`; the Dask
engine (:mod:`mixsynth.engine.dask_driver`, imported only by ``--engine dask``) calls
the same per-table code on each partition of a table too large for one machine.
"""
