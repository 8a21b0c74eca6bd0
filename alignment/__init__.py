"""alignment: an agent-based model of geopolitical alignment in Central Asia (Mesa + Hydra)."""

__version__ = "0.1.0"
