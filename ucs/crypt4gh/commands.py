"""`ucs crypt4gh keygen`: the archive's Crypt4GH key pair, in the files the reference `crypt4gh` tool reads."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import click

from upload_client.crypt4gh.key_files import write_public_key, write_secret_key
from upload_client.crypt4gh.keys import SecretKey

KEY_PATH = click.Path(dir_okay=False, writable=True, path_type=Path)


@click.group("crypt4gh")
def crypt4gh_group() -> None:
    """The archive's Crypt4GH keys (docs/encryption.md)."""


@crypt4gh_group.command("keygen")
@click.option(
    "--secret-key",
    "secret_path",
    type=KEY_PATH,
    required=True,
    help="Where to write the secret key (mode 0600).",
)
@click.option(
    "--public-key", "public_path", type=KEY_PATH, required=True, help="Where to write the public key."
)
@click.option(
    "--passphrase-env",
    metavar="VAR",
    help="Take the secret key's passphrase from this environment variable (else you are asked for it).",
)
@click.option(
    "--no-passphrase", is_flag=True, help="Write the secret key unprotected; its file mode alone guards it."
)
@click.option("--comment", help="A comment stored in the secret key file, as `crypt4gh-keygen -C` does.")
def keygen_command(
    secret_path: Path, public_path: Path, passphrase_env: str | None, no_passphrase: bool, comment: str | None
) -> None:
    """Make an X25519 key pair; an existing file is never overwritten."""
    if passphrase_env and no_passphrase:
        raise click.UsageError("--passphrase-env and --no-passphrase exclude each other")
    for path in (secret_path, public_path):
        if path.exists():
            raise click.ClickException(f"{path} exists already; it is not overwritten")
    passphrase = None if no_passphrase else _passphrase(passphrase_env)
    key = SecretKey.generate()
    _write(secret_path, lambda: write_secret_key(secret_path, key, passphrase, comment))
    try:
        _write(public_path, lambda: write_public_key(public_path, key.public_key))
    except click.ClickException:
        # A pair or nothing: a secret key without its public half would only confuse the next run.
        with contextlib.suppress(OSError):
            secret_path.unlink()
        raise
    protection = "protected by its passphrase" if passphrase else "NOT protected by a passphrase"
    click.echo(f"wrote {secret_path} (secret, mode 0600, {protection}: keep it where only UCS reads it)")
    click.echo(f"wrote {public_path} (public key {key.public_key.fingerprint}: submitters encrypt for it)")


def _passphrase(variable: str | None) -> str:
    if variable is None:
        return click.prompt("Passphrase for the secret key", hide_input=True, confirmation_prompt=True)
    value = os.environ.get(variable)
    if not value:
        raise click.BadParameter(
            f"the environment variable {variable} is not set or empty", param_hint="--passphrase-env"
        )
    return value


def _write(path: Path, write) -> None:
    try:
        write()
    except FileExistsError:
        raise click.ClickException(f"{path} exists already; it is not overwritten") from None
    except OSError as error:
        raise click.ClickException(f"cannot write {path}: {error.strerror}") from None
