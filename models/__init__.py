"""distillguard: models."""
