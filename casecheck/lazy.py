"""The heavy libraries, imported on first use: reading rules and configs never loads them.

A module on the path that reads rule files and configs (`casecheck rules list`, `rules
explain`, `--help`) writes `from casecheck.lazy import np, pd` instead of `import numpy as np`
and `import pandas as pd`. The name is a stand-in that imports the library the first time an
attribute is read (`pd.Series`, `np.where`) and hands the attribute over; type checkers see the
real module. Module-level code must not read an attribute (that would import the library at
once): constants built from one belong inside a function or under TYPE_CHECKING.
tests/test_cli_startup.py keeps the path free of them.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any

__all__ = ["holidays", "np", "npt", "pa", "pc", "pd"]


class LazyModule(ModuleType):
    """A module imported the first time one of its attributes is read."""

    def __getattr__(self, name: str) -> Any:
        # Called only for a name not yet in the stand-in's own __dict__, where each attribute is
        # kept once read, as `from pandas import Series` would keep it: a module's missing
        # attribute costs 17 us (an AttributeError is raised first), a kept one 0.4 us.
        value = getattr(importlib.import_module(self.__name__), name)
        self.__dict__[name] = value
        return value


if TYPE_CHECKING:
    import holidays
    import numpy as np
    import numpy.typing as npt
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
else:
    holidays = LazyModule("holidays")
    np = LazyModule("numpy")
    npt = LazyModule("numpy.typing")
    pd = LazyModule("pandas")
    pa = LazyModule("pyarrow")
    pc = LazyModule("pyarrow.compute")
