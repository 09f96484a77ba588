"""distillguard: simulate."""
