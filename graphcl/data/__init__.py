"""Datasets and loaders."""
from graphcl.data.interaction import InteractionData, ratio_split

__all__ = ["InteractionData", "ratio_split"]
