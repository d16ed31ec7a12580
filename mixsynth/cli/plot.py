"""``mixsynth plot``: the figures of a JSON report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mixsynth.choices import (
    STDIO,
)
from mixsynth.cli.app import app
from mixsynth.cli.common import EncodingOption, InputFormatOption
from mixsynth.errors import OptionError


@app.command()
def plot(
    real: Annotated[str, typer.Argument(help="Real table (.csv or .parquet), or - for stdin.")],
    synthetic: Annotated[
        str, typer.Argument(help="Synthetic table (.csv or .parquet), or - for stdin.")
    ],
    column: Annotated[str, typer.Option("--column", "-c", help="The column to plot.")],
    output: Annotated[str, typer.Option("--output", "-o", help="PNG file to write.")],
    input_format: InputFormatOption = None,
    encoding: EncodingOption = "utf-8",
    categorical: Annotated[
        list[str] | None,
        typer.Option("--categorical", help="Plot this column as categories. Repeatable."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing PNG.")] = False,
) -> None:
    """Plot one column, real against synthetic, as a PNG (as in the HTML report).

    Example: mixsynth plot real.csv synth.csv --column body_mass_g -o body_mass_g.png
    """
    from mixsynth.io import atomic_path, check_output, read_table
    from mixsynth.report.plots import plot_column

    if Path(output).suffix.lower() != ".png":
        raise OptionError(f"-o {output!r} must name a .png file", "e.g. -o column.png")
    if real == STDIO and synthetic == STDIO:
        raise OptionError("only one of REAL and SYNTH can be - (stdin)")
    check_output(output, force, (real, synthetic))
    png = plot_column(
        read_table(real, input_format, encoding).frame,
        read_table(synthetic, input_format, encoding).frame,
        column,
        categorical or (),
    )
    with atomic_path(output) as temporary:
        Path(temporary).write_bytes(png)
