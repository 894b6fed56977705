"""UCS's built-in plugins; each registers itself through the same hooks a third-party plugin uses."""
