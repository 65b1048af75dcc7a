"""The light-install check of `.ci/check_install.py`, on pip reports written here (no network)."""

import json
import subprocess
import sys

from rag.config import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / ".ci" / "check_install.py"


def _report(tmp_path, *names):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"version": "1", "install": [{"metadata": {"name": n, "version": "1"}} for n in names]}))
    return path


def _check(report):
    return subprocess.run([sys.executable, str(SCRIPT), "--report", str(report)], capture_output=True, text=True)


def test_a_light_install_passes(tmp_path):
    done = _check(_report(tmp_path, "numpy", "faiss-cpu", "gradio", "Nano_E5", "filelock"))
    assert done.returncode == 0 and "installs 5 packages" in done.stdout


def test_the_cuda_build_of_torch_fails_and_is_named(tmp_path):
    done = _check(_report(tmp_path, "numpy", "torch", "nvidia-cublas-cu12", "nvidia_cudnn_cu12", "triton", "cuda-bindings"))
    assert done.returncode == 1
    assert "would install 5 GPU or optional model packages" in done.stderr
    for name in ("torch", "nvidia-cublas-cu12", "nvidia-cudnn-cu12", "triton", "cuda-bindings"):
        assert name in done.stderr
    assert "numpy" not in done.stderr


def test_optional_model_packages_fail_without_gpu_ones(tmp_path):
    done = _check(_report(tmp_path, "sentence-transformers", "transformers"))
    assert done.returncode == 1 and "sentence-transformers, transformers" in done.stderr
