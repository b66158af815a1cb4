"""Compute dtypes for network bodies, and whether this CPU does bfloat16 natively.

bfloat16 arithmetic is fast only where the CPU has bfloat16 instructions (x86 AVX512_BF16
or AMX, ARM BF16). Elsewhere oneDNN emulates it, and the same network runs several times
slower than in float32 (benchmarks/RESULTS.md; benchmarks/ppo_iteration_profile.py
measures it). So a set that wants bfloat16 for speed says `auto`: bfloat16 where the CPU
has the instructions, float32 elsewhere, with one line saying which. An explicit
`bfloat16` still gets bfloat16 (hparams mean what they say), with one warning where it
is emulated. The value recorded in a run is `auto`, not what it became, so a run started
on one kind of CPU resumes on another.
"""

import functools
from typing import Optional

from absl import logging

from hparams.errors import UserError

COMPUTE_DTYPES = ("float32", "bfloat16", "auto")
NATIVE_BFLOAT16_FLAGS = ("avx512_bf16", "amx_bf16", "bf16")


@functools.lru_cache(maxsize=None)
def native_bfloat16() -> Optional[bool]:
    """True if /proc/cpuinfo lists a bfloat16 instruction set; None where it cannot tell."""
    try:
        with open("/proc/cpuinfo") as f:
            words = set(f.read().split())
    except OSError:
        return None
    return any(flag in words for flag in NATIVE_BFLOAT16_FLAGS)


@functools.lru_cache(maxsize=None)
def _warn_emulated_bfloat16(field):
    logging.warning(
        "%s=bfloat16, but this CPU has no bfloat16 instructions (no %s in /proc/cpuinfo): "
        "it will be emulated and run several times slower than %s=float32", field,
        " / ".join(NATIVE_BFLOAT16_FLAGS), field)


@functools.lru_cache(maxsize=None)
def _say_auto(field, chosen):
    if chosen == "float32":
        logging.info("%s=auto: float32, since this CPU has no bfloat16 instructions (no %s "
                     "in /proc/cpuinfo); %s=bfloat16 forces bfloat16", field,
                     " / ".join(NATIVE_BFLOAT16_FLAGS), field)
    else:
        logging.info("%s=auto: bfloat16, which this CPU has instructions for", field)


def keras_dtype(compute_dtype: str, field: str = "compute_dtype") -> str:
    """The Keras dtype policy for `compute_dtype`: "mixed_bfloat16" (bfloat16 math with
    float32 weights) or "float32"; `auto` is bfloat16 only where the CPU runs it natively.
    `field` names the hparam in errors and messages."""
    if compute_dtype not in COMPUTE_DTYPES:
        raise UserError(f"{field} must be float32, bfloat16 or auto, got '{compute_dtype}'")
    if compute_dtype == "float32":
        return "float32"
    if compute_dtype == "auto":
        chosen = "mixed_bfloat16" if native_bfloat16() else "float32"
        _say_auto(field, chosen)
        return chosen
    if native_bfloat16() is False:
        _warn_emulated_bfloat16(field)
    return "mixed_bfloat16"
