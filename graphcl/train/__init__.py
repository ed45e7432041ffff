"""Training loop and checkpoints."""
from graphcl.train.checkpoint import load_checkpoint, save_atomic
from graphcl.train.trainer import FitResult, TrainConfig, Trainer

__all__ = ["Trainer", "TrainConfig", "FitResult", "save_atomic", "load_checkpoint"]
