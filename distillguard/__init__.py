"""distillguard: distillguard."""
