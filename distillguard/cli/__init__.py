"""The `distillguard` command line: one Typer app, one small module per verb.

Verb modules import their heavy dependencies inside the command body, so
`distillguard --help` stays fast and importing this package has no side effects.
"""

from __future__ import annotations

import typer

from distillguard.cli import (
    evaluate,
    external,
    features,
    importer,
    score,
    simulate,
    train,
    ui,
    validate,
    world_report,
)

app = typer.Typer(
    name="distillguard",
    help="Detect distillation-attack account rings in LLM API traffic.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def main(
    log_level: str = typer.Option("INFO", "--log-level", help="DEBUG, INFO, WARNING or ERROR."),
) -> None:
    """distillguard: contract-checked inputs -> point-in-time features -> LightGBM -> SHAP."""
    from distillguard.log import setup_logging

    setup_logging(log_level.upper())


app.command("simulate")(simulate.command)
app.command("world-report")(world_report.command)
app.command("validate")(validate.command)
app.command("features")(features.command)
app.command("train")(train.command)
app.command("evaluate")(evaluate.command)
app.command("score")(score.command)
app.command("ui")(ui.command)
app.command("external")(external.command)
app.add_typer(importer.app, name="import", help="Convert outside datasets into the input contract.")
