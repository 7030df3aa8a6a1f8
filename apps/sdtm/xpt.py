"""SAS transport version 5 files of SDTM datasets (pyreadstat), and a zip of several."""
import io
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
import pyreadstat

from .datasets import CHAR


def dataframe(dataset):
    columns = {}
    for name, _label, kind in dataset.variables:
        values = [row.get(name) for row in dataset.rows]
        if kind == CHAR:
            columns[name] = pd.Series([value or "" for value in values], dtype=object)
        else:
            columns[name] = pd.Series([float("nan") if value is None else float(value) for value in values],
                                      dtype="float64")
    return pd.DataFrame(columns)


def write_xpt(dataset, path):
    """One dataset as a v5 transport file: 8-character names, 40-character labels, data-fitted lengths."""
    pyreadstat.write_xport(dataframe(dataset), str(path), file_label=dataset.label, table_name=dataset.name,
                           column_labels=[label for _name, label, _kind in dataset.variables],
                           file_format_version=5)


def xpt_bytes(dataset) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{dataset.name.lower()}.xpt"
        write_xpt(dataset, path)
        return path.read_bytes()


def zip_bytes(datasets) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for dataset in datasets:
            archive.writestr(f"{dataset.name.lower()}.xpt", xpt_bytes(dataset))
    return buffer.getvalue()
