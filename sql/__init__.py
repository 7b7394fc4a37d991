"""The SQL relief reads at run time, installed as the package pipelines.sql.

pyproject.toml maps pipelines.sql to this folder, so a wheel, a regular or an
editable install all find these files through the package (pipelines/config.py).
"""
