"""The command line: `main` builds every command from the game and study registries."""

from sweeps.cli.main import main

__all__ = ["main"]
