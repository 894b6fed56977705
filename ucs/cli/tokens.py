"""`ucs tokens issue` and `ucs tokens keygen`: mint tokens and make keys for small deployments."""

from __future__ import annotations

import getpass
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ucs.auth.keys import KEY_MAKERS, make_key, save_key, write_public
from ucs.auth.scopes import split_scope
from ucs.auth.settings import signing_key
from ucs.cli.durations import Duration, DurationType
from ucs.settings import ConfigError


@click.group("tokens")
def tokens_group() -> None:
    """Issue bearer tokens, and make signing keys for a self-hosted issuer (docs/security.md)."""


@tokens_group.command("issue")
@click.option("--scope", required=True, help='Space-separated scopes, e.g. "upload:F1" or "files:register".')
@click.option("--subject", default=None, help="Who the token stands for (sub). Default: your user name.")
@click.option(
    "--ttl",
    type=DurationType(),
    default="1h",
    show_default=True,
    help="How long it is valid: 30s, 15m, 1h, 7d.",
)
@with_appcontext
def issue_command(scope: str, subject: str | None, ttl: Duration) -> None:
    """Print a signed token, alone on stdout: TOKEN=$(ucs tokens issue --scope ...)."""
    try:
        scopes = split_scope(scope)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--scope") from None
    if not scopes:
        raise click.BadParameter("name at least one scope", param_hint="--scope")
    app = current_app._get_current_object()
    try:
        key = signing_key(app.config, app.instance_path)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    token = key.issue(
        subject or getpass.getuser(),
        " ".join(scopes),
        app.config["AUTH_AUDIENCE"],
        int(ttl.span.total_seconds()),
    )
    click.echo(token)


@tokens_group.command("keygen")
@click.option("--issuer", required=True, help="The issuer name its tokens carry (iss), e.g. archive-portal.")
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Where to write signing-key.json (secret, mode 0600) and jwks.json (public).",
)
@click.option("--algorithm", type=click.Choice(sorted(KEY_MAKERS)), default="ES256", show_default=True)
def keygen_command(issuer: str, output_dir: Path, algorithm: str) -> None:
    """Make a signing key and its public JWKS for an issuer of your own."""
    key = make_key(issuer, algorithm)
    private, public = output_dir / "signing-key.json", output_dir / "jwks.json"
    try:
        save_key(key, private)
    except FileExistsError:
        raise click.ClickException(f"{private} exists already; it is not overwritten") from None
    except OSError as error:
        raise click.ClickException(f"cannot write {private}: {error.strerror}") from None
    write_public(public, key.jwks())
    click.echo(f"wrote {private} (secret: keep it where only the token issuer reads it)")
    click.echo(f"wrote {public} (public keys, key id {key.kid})")
    click.echo("Configure UCS to trust it and `ucs tokens issue` to sign with it:")
    click.echo(f'  export UCS_AUTH_ISSUERS=\'[{{"issuer": "{issuer}", "jwks_file": "{public.resolve()}"}}]\'')
    click.echo(f"  export UCS_AUTH_SIGNING_KEY={private.resolve()}")
