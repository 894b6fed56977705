"""The `ucs` command, one module per command group: main (the group, the console script's entry point),
serve (`ucs run`, `ucs serve`; gunicorn_config is gunicorn's settings for it), events (`ucs events`),
uploads (`ucs uploads`), tokens (`ucs tokens`), startup (what the commands share). `ucs db` is
Flask-Migrate's.

Only the console script imports it. Nothing is imported here: gunicorn's master imports
ucs.cli.gunicorn_config before prometheus_client may load.
"""
