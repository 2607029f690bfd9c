"""A stand-in for torchvision, on PYTHONPATH only where the interpreter timing PyTorch eager has torch but no
torchvision (a PyTorch 2.x CPU wheel installed with --no-deps): tools/reference/tsm_models.py takes its ResNets from
torchvision.models, and nothing else from torchvision. See models.py."""
from . import models  # noqa: F401
