"""distillguard: the detector model (models.detector), its MLflow flavour and the registry.

Import submodules explicitly (``from models.detector import DistillGuardModel``); this
package imports nothing heavy on its own.
"""
