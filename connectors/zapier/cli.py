"""``eventhub zapier``: keeping the Zapier integration definition up to date."""

from __future__ import annotations

from pathlib import Path

import click

from connector.errors import ConfigError
from connectors.zapier.definition import (
    DEFINITION_PATH,
    build_definition,
    load_manifest,
    render_definition,
)


@click.group("zapier")
def zapier() -> None:
    """The Zapier integration: one REST hook trigger per event type."""


@zapier.command("export")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFINITION_PATH,
    show_default="connectors/zapier/definition.json",
    help="Where to write the definition; '-' writes it to stdout.",
)
@click.option(
    "--manifest",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The manifest to build from; the checkout's manifest.json by default.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; fail if the file differs from what would be written.",
)
def export(output: Path, manifest: Path | None, check: bool) -> None:
    """Write the Zapier definition, built from the manifest and catalogue."""
    try:
        definition = build_definition(load_manifest(manifest))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    text = render_definition(definition)

    if str(output) == "-":
        click.echo(text, nl=False)
        return

    if check:
        current = output.read_text(encoding="utf-8") if output.exists() else None
        if current != text:
            raise click.ClickException(
                f"{output} is out of date; write it again with: eventhub zapier export"
            )
        click.echo(f"{output} is up to date.", err=True)
        return

    output.write_text(text, encoding="utf-8")
    click.echo(
        f"Wrote {len(definition['triggers'])} Zapier triggers to {output}.", err=True
    )
