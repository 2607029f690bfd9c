"""Checkpoint containers as MMAction2 writes them (shared/MMACTION2-FACTS.md §1, §6), made with Debian's torch 1.13.

- 1.x published: {'meta': {epoch, iter, cfg, seed, experiment_name, time, mmengine_version, dataset_meta}, 'state_dict'}
  in the zip format, saved as `<stem>.pth` and renamed `<stem>_<date>-<sha256[:8]>.pth` as publish_model.py does (so
  the zip's inner folder is the stem).
- 1.x unpublished (a work-dir `epoch_N.pth`): the same meta and state dict plus `message_hub` (mmengine's
  MessageHub.state_dict(): log_scalars of HistoryBuffer objects holding numpy arrays, runtime_info, resumed_keys),
  `optimizer` (an SGD state dict with momentum buffers) and `param_schedulers`. mmengine is not installed here, so
  `install_mmengine_standins()` registers a stand-in class under the exact global name
  `mmengine.logging.history_buffer.HistoryBuffer` in sys.modules before torch.save: the pickle names that global
  (with numpy's `_reconstruct`/`ndarray`/`dtype` for its arrays) exactly as a real file does. Loading such a file
  with the full unpickler needs the stand-in registered again.
- 0.x: {'meta': {mmaction_version, config, env_info, seed, config_name, work_dir, hook_msgs{last_ckpt, best_score,
  best_ckpt}, epoch, iter, mmcv_version, time}, 'state_dict'} (the order in which train.py, mmcv's runner and
  save_checkpoint add them); best_score a real numpy.float64, so the pickle holds `numpy.core.multiarray.scalar` and
  `numpy.dtype`. Named `<stem with date>-<sha256[:8]>.pth` (0.x publish_model.py), zip or legacy (2020's torch).
- Without meta: {'state_dict': …} or the bare state dict, as people re-save them.
The state dict is the recognizer's own `state_dict()` (an OrderedDict with `_metadata`; num_batches_tracked 0-d int64).
"""
import collections
import hashlib
import os
import sys
import types

import numpy as np
import torch

HISTORY_BUFFER_MODULE = "mmengine.logging.history_buffer"


class HistoryBuffer:
    """Stand-in for mmengine's HistoryBuffer: the same attributes (max_length, _log_history, _count_history)."""

    def __init__(self, log_history=(), count_history=(), max_length=1000000):
        self.max_length = max_length
        self._log_history = np.array(log_history)
        self._count_history = np.array(count_history)


def install_mmengine_standins():
    """Make `mmengine.logging.history_buffer.HistoryBuffer` resolve to the stand-in."""
    if getattr(sys.modules.get(HISTORY_BUFFER_MODULE), "HistoryBuffer", None) is HistoryBuffer:
        return
    for name in ("mmengine", "mmengine.logging", HISTORY_BUFFER_MODULE):
        if name not in sys.modules:
            sys.modules[name] = types.ModuleType(name)
    HistoryBuffer.__module__ = HISTORY_BUFFER_MODULE
    HistoryBuffer.__qualname__ = "HistoryBuffer"
    sys.modules[HISTORY_BUFFER_MODULE].HistoryBuffer = HistoryBuffer
    sys.modules["mmengine.logging"].history_buffer = sys.modules[HISTORY_BUFFER_MODULE]
    sys.modules["mmengine"].logging = sys.modules["mmengine.logging"]


def meta_1x(stem, cfg_text, epoch, iters, seed, when, mmengine_version):
    """when: 'YYYYMMDD_HHMMSS' (the checkpoint's time; experiment_name carries the run's start, a day earlier)."""
    start = f"{int(when[:8]) - 1}{when[8:]}"
    return {"epoch": epoch, "iter": iters, "cfg": cfg_text, "seed": seed, "experiment_name": f"{stem}_{start}",
            "time": when, "mmengine_version": mmengine_version, "dataset_meta": {}}


def meta_0x(stem, cfg_text, epoch, iters, seed, when_asctime, mmcv_version, mmaction_version, best_score):
    env_info = "\n".join([
        "sys.platform: linux",
        "Python: 3.7.7 (default, May  7 2020, 21:25:33) [GCC 7.3.0]",
        "CUDA available: True",
        "GPU 0,1,2,3,4,5,6,7: Tesla V100-SXM2-32GB",
        "CUDA_HOME: /usr/local/cuda",
        "NVCC: Cuda compilation tools, release 10.1, V10.1.243",
        "GCC: gcc (GCC) 5.4.0",
        "PyTorch: 1.5.0",
        "TorchVision: 0.6.0",
        f"MMCV: {mmcv_version}",
        f"MMAction2: {mmaction_version}",
    ])
    work = f"/mnt/lustre/mmaction2/work_dirs/{stem}"
    return {"mmaction_version": mmaction_version, "config": cfg_text, "env_info": env_info, "seed": seed,
            "config_name": f"{stem}.py", "work_dir": stem,
            "hook_msgs": {"last_ckpt": f"{work}/epoch_{epoch}.pth", "best_score": np.float64(best_score),
                          "best_ckpt": f"{work}/best_top1_acc_epoch_{epoch - 5}.pth"},
            "epoch": epoch, "iter": iters, "mmcv_version": mmcv_version, "time": when_asctime}


def message_hub(cfg_text, seed, stem, epoch, iters, best_score):
    """MessageHub.state_dict() of a run that ended at `epoch`: scalars as HistoryBuffers, numpy values inside."""
    install_mmengine_standins()
    rng = np.random.default_rng(seed)
    scalars = collections.OrderedDict()
    for key, scale in (("train/lr", 1e-4), ("train/data_time", 0.05), ("train/time", 0.4), ("train/loss", 1.2),
                       ("train/loss_cls", 1.2), ("train/top1_acc", 0.6), ("train/top5_acc", 0.85)):
        values = (scale * (1 + 0.1 * rng.standard_normal(20))).tolist()
        scalars[key] = HistoryBuffer(values, [1] * 20)
    scalars["val/acc/top1"] = HistoryBuffer([best_score - 0.01, best_score], [1, 1])
    info = collections.OrderedDict([
        ("cfg", cfg_text), ("seed", seed), ("experiment_name", stem), ("mmengine_version", "0.7.3"),
        ("epoch", epoch), ("iter", iters), ("max_epochs", epoch), ("max_iters", iters), ("dataset_meta", {}),
        ("best_score", np.float64(best_score)), ("best_ckpt", f"work_dirs/{stem}/best_acc_top1_epoch_{epoch - 3}.pth"),
        ("last_ckpt", f"work_dirs/{stem}/epoch_{epoch}.pth"),
    ])
    resumed = collections.OrderedDict([(k, True) for k in scalars] + [(k, k != "cfg") for k in info])
    return {"log_scalars": scalars, "runtime_info": info, "resumed_keys": resumed}


def sgd_state(model, seed, lr=0.01):
    """optimizer.state_dict() of SGD with momentum after training: a momentum buffer per parameter."""
    g = torch.Generator().manual_seed(seed)
    params = list(model.parameters())
    state = {i: {"momentum_buffer": torch.randn(p.shape, generator=g) * 1e-4} for i, p in enumerate(params)}
    group = {"lr": lr * 1e-2, "momentum": 0.9, "dampening": 0, "weight_decay": 0.0001, "nesterov": False,
             "maximize": False, "foreach": None, "differentiable": False, "initial_lr": lr}
    return {"state": state, "param_groups": [dict(group, params=list(range(len(params))))]}


def param_schedulers(epochs, iters_per_epoch):
    return [
        {"begin": 0, "end": 5 * iters_per_epoch, "by_epoch": False, "start_factor": 0.1, "end_factor": 1.0,
         "base_values": [0.01], "last_step": epochs * iters_per_epoch, "verbose": False, "_global_step": epochs * iters_per_epoch,
         "_get_value_called_within_step": False, "_last_value": [0.01], "param_name": "lr"},
        {"begin": 0, "end": epochs, "by_epoch": True, "milestones": collections.Counter({epochs // 2: 1, epochs * 9 // 10: 1}),
         "gamma": 0.1, "base_values": [0.01], "last_step": epochs, "verbose": False, "_global_step": epochs,
         "_get_value_called_within_step": False, "_last_value": [0.0001], "param_name": "lr"},
    ]


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save(obj, path, fmt):
    assert fmt in ("zip", "legacy"), fmt
    torch.save(obj, path, _use_new_zipfile_serialization=fmt == "zip")


def save_published(obj, folder, stem, fmt, suffix_sep):
    """Save as `<stem>.pth`, then rename with the file's sha256 prefix as publish_model.py does: 1.x
    `<stem>_<date>-<sha8>.pth` (stem given without the date, suffix_sep '_<date>-'), 0.x `<stem>-<sha8>.pth`."""
    tmp = os.path.join(folder, stem + ".pth")
    save(obj, tmp, fmt)
    final = os.path.join(folder, f"{stem}{suffix_sep}{sha256(tmp)[:8]}.pth")
    os.replace(tmp, final)
    return os.path.basename(final)
