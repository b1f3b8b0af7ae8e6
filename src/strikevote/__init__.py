"""strikevote: verifiable union strike-authorization and ratification votes (Belenios protocol)."""

__version__ = "0.1.0"
