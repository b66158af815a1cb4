"""Model-based reinforcement learning for Atari (SimPLe), after Tensor2Tensor's rl package."""

from setuptools import find_packages, setup

setup(
    name="simple-rl",
    version="0.1.0",
    description="Model-based RL for Atari: world models and PPO, after T2T's rl and SimPLe",
    python_requires=">=3.10",
    packages=find_packages(include=["rl", "rl.*", "models", "models.*", "problems",
                                    "problems.*", "hparams", "hparams.*"]),
    # Ranges are bounded above: an unpinned gym once broke every install of the original.
    install_requires=[
        # One TensorFlow distribution for both install lines: `tensorflow` runs on any
        # CPU, and the gpu extra adds only CUDA's libraries to it (installing
        # tensorflow-cpu and then tensorflow would put two distributions over one package).
        "tensorflow>=2.16,<2.22",
        "tensorboard>=2.16,<3",
        "gymnasium>=1.1,<1.5",
        "ale-py>=0.12,<0.13",
        "numpy>=1.26,<3",
        "absl-py>=2.0,<3",
        "opencv-python-headless>=4.9,<6",
        "matplotlib>=3.7,<4",
    ],
    extras_require={"test": ["pytest>=8", "pytest-xdist>=3.5"],
                    "gpu": ["tensorflow[and-cuda]>=2.16,<2.22"]},
)
