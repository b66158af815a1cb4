"""The install lines: the CPU one and the GPU one each bring exactly one TensorFlow
distribution (two, such as tensorflow-cpu and tensorflow, would both write the same
`tensorflow` package)."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

TENSORFLOW_DISTRIBUTIONS = {"tensorflow", "tensorflow-cpu", "tensorflow-gpu",
                            "tensorflow-intel", "tf-nightly"}


def requirements():
    """setup.py's install_requires and extras_require, read without installing."""
    namespace = {}
    source = open(os.path.join(REPO, "setup.py")).read().replace(
        "from setuptools import find_packages, setup",
        "find_packages = lambda **kwargs: []\nsetup = lambda **kwargs: kwargs")
    source = source.replace("setup(", "SETUP = setup(", 1)
    exec(compile(source, "setup.py", "exec"), namespace)
    return namespace["SETUP"]["install_requires"], namespace["SETUP"]["extras_require"]


def names(requirement_list):
    return {r.split("[")[0].split(">")[0].split("=")[0].split("<")[0].strip().lower()
            for r in requirement_list}


def test_the_cpu_line_and_the_gpu_extra_name_one_tensorflow_distribution():
    base, extras = requirements()
    assert names(base) & TENSORFLOW_DISTRIBUTIONS == {"tensorflow"}
    assert [r for r in extras["gpu"] if r.startswith("tensorflow")] == \
        ["tensorflow[and-cuda]>=2.16,<2.22"]
    assert next(r for r in base if r.startswith("tensorflow>")) == "tensorflow>=2.16,<2.22"


@pytest.mark.slow  # resolves the whole dependency tree against the package registry
def test_the_gpu_install_line_resolves_to_one_tensorflow_with_cuda(tmp_path):
    report = tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
         "--report", str(report), "-e", ".[gpu]"], cwd=REPO, capture_output=True, text=True,
        timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    resolved = {item["metadata"]["name"].lower()
                for item in json.loads(report.read_text())["install"]}
    assert resolved & TENSORFLOW_DISTRIBUTIONS == {"tensorflow"}
    assert {"nvidia-cudnn-cu12", "nvidia-cublas-cu12"} <= resolved
