"""Sweeps: designs (``design``), the plan of runs with their seeds (``plan``), batches through the engine
(``runner``), yearly summaries (``summaries``), the Parquet store (``store``), executors (``executors``) and
the ``alignment-sweep`` command (``cli``)."""
