"""The Dask engine: the in-memory code run on each partition of a table too large for
one machine (imported only by ``--engine dask``)."""
