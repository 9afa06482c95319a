"""Training: configs, theme and claim classifiers, topic models, evaluation."""
