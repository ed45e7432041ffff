"""Evaluation: ranking metrics (RecBole definitions), clustering metrics, linear probes."""
from graphcl.eval.ranking import METRICS, RankingEvaluator, metrics_from_hits, ranking_metrics

__all__ = ["ranking_metrics", "RankingEvaluator", "metrics_from_hits", "METRICS"]
