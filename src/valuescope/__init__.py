"""valuescope: how well a language model's values line up with people's."""

__version__ = "0.1.0"
