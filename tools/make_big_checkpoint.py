#!/usr/bin/env python3
"""Writes a ResNet-50-sized TSM training checkpoint (random weights, ~100 MB) in legacy or zip format.

Usage: /usr/bin/python3 tools/make_big_checkpoint.py OUT.pth legacy|zip
"""
import sys
from collections import OrderedDict

import torch
import torchvision

torch.manual_seed(0)
model = torchvision.models.resnet50(num_classes=27)
sd = OrderedDict(("module.base_model." + k, v) for k, v in model.state_dict().items())
torch.save({"epoch": 2, "arch": "resnet50", "state_dict": sd, "best_prec1": 0.0}, sys.argv[1],
           _use_new_zipfile_serialization=(sys.argv[2] == "zip"))
