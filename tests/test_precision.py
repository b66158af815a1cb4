"""Compute dtypes: the Keras policy chosen, the error for a wrong value, and the warning
where bfloat16 would be emulated."""

import logging

import pytest

from hparams.errors import UserError
from models import precision


def test_dtype_policies():
    assert precision.keras_dtype("float32") == "float32"
    assert precision.keras_dtype("bfloat16") == "mixed_bfloat16"


def test_unknown_dtype_names_the_field():
    with pytest.raises(UserError, match="policy_compute_dtype must be float32, bfloat16 or auto"):
        precision.keras_dtype("float16", "policy_compute_dtype")


def test_emulated_bfloat16_warns_once(monkeypatch, caplog):
    monkeypatch.setattr(precision, "native_bfloat16", lambda: False)
    precision._warn_emulated_bfloat16.cache_clear()
    with caplog.at_level(logging.WARNING):
        precision.keras_dtype("bfloat16", "some_field")
        precision.keras_dtype("bfloat16", "some_field")
    warnings = [r for r in caplog.records if "no bfloat16 instructions" in r.getMessage()]
    assert len(warnings) == 1
    assert "some_field=float32" in warnings[0].getMessage()


def test_native_bfloat16_silent(monkeypatch, caplog):
    monkeypatch.setattr(precision, "native_bfloat16", lambda: True)
    precision._warn_emulated_bfloat16.cache_clear()
    with caplog.at_level(logging.WARNING):
        precision.keras_dtype("bfloat16")
    assert not [r for r in caplog.records if "bfloat16 instructions" in r.getMessage()]


@pytest.mark.parametrize("native, expected", [(False, "float32"), (None, "float32"),
                                              (True, "mixed_bfloat16")])
def test_auto_is_bfloat16_only_where_the_cpu_has_it(monkeypatch, native, expected):
    monkeypatch.setattr(precision, "native_bfloat16", lambda: native)
    said = []
    monkeypatch.setattr(precision.logging, "info", lambda fmt, *args: said.append(fmt % args))
    precision._say_auto.cache_clear()
    assert precision.keras_dtype("auto", "compute_dtype") == expected
    assert precision.keras_dtype("auto", "compute_dtype") == expected
    assert len(said) == 1 and said[0].startswith("compute_dtype=auto: " +
                                                 expected.replace("mixed_", ""))
    # An explicit bfloat16 is still bfloat16, emulated or not.
    precision._warn_emulated_bfloat16.cache_clear()
    assert precision.keras_dtype("bfloat16", "compute_dtype") == "mixed_bfloat16"


def test_the_cpu_sets_ask_for_auto():
    import hparams

    assert hparams.get("next_frame_cpu").compute_dtype == "auto"
    assert hparams.get("next_frame_cpu_small_frames").compute_dtype == "auto"
    loop = hparams.resolve("rlmb_cpu", "generative_model_compute_dtype=bfloat16")
    from rl import loop_schedule

    assert loop_schedule.world_model_hparams(loop).compute_dtype == "bfloat16"
