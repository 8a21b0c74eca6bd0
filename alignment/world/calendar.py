"""Months as integers: ``year * 12 + month - 1``, so that date arithmetic is integer arithmetic."""

from __future__ import annotations

import re

import numpy as np

from alignment.errors import ConfigError

_YM = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text, key: str) -> int:
    """'2022-02' -> month index; raises ConfigError naming ``key`` otherwise."""
    m = _YM.match(str(text).strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ConfigError(key, text, "expected a month as YYYY-MM, month 01-12")
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def format_month(index: int) -> str:
    """Month index -> 'YYYY-MM'."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_starts(first: int, count: int) -> np.ndarray:
    """Month-start dates (numpy datetime64[D]) for ``count`` months from ``first``."""
    return (np.datetime64("0000-01", "M") + np.arange(first, first + count)).astype("datetime64[D]")
