"""Tasks wire data, a model, the trainer and an evaluator into one run."""
