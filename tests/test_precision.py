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
    with pytest.raises(UserError, match="policy_compute_dtype must be float32 or bfloat16"):
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
