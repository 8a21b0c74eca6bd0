"""The world a run stands in: data arrays (``data``), dated scenario events (``scenario``), months as integers
(``calendar``) and the build of the world config from ../shared/data (``build``)."""

from alignment.world.data import REMITTANCE_YEAR, World, build_world, haversine_km

__all__ = ["REMITTANCE_YEAR", "World", "build_world", "haversine_km"]
