"""placespend: apportion borough- and ward-wide council spend down to housing estates.

Geometry is prepared with geopandas (:mod:`placespend.atoms`); money is moved in DuckDB by the
SQL steps in ``pipelines/`` (:mod:`placespend.apportion`), as integer pence, conserved to the
penny.
"""

__version__ = "0.1.0"
