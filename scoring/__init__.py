"""distillguard: scoring."""
