"""graphcl: graph contrastive learning for recommendation, clustering and heterogeneous graphs."""

__version__ = "0.1.0"
