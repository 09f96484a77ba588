"""distillguard: features."""
