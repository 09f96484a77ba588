"""distillguard: training."""
