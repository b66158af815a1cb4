"""HParams: a flat, typed bag of hyperparameters with an override parser.

Overrides look like `a=1,b=0.5,c=freeway,d=[0.5,0.0],e=True`. Each value is typed by the
field's current value, so a typo or a wrong type is an error instead of a silent string.
"""

import copy
import json
from typing import Any, Dict, List, Optional, Tuple

from hparams.errors import UserError, did_you_mean

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def _type_name(value):
    if isinstance(value, list):
        inner = _type_name(value[0]) if value else "value"
        return f"list of {inner}"
    return type(value).__name__


def _parse_scalar(key, text, default):
    """Parses `text` as the type of `default` (None means: infer int, float, bool or str)."""
    text = text.strip()
    if default is None:
        for cast in (int, float):
            try:
                return cast(text)
            except ValueError:
                pass
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        return None if text.lower() == "none" else _unquote(text)
    if isinstance(default, bool):
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise UserError(f"hparam '{key}' expects bool (True or False), got '{text}'")
    if isinstance(default, int):
        try:
            return int(text)
        except ValueError:
            raise UserError(f"hparam '{key}' expects int, got '{text}'") from None
    if isinstance(default, float):
        try:
            return float(text)
        except ValueError:
            raise UserError(f"hparam '{key}' expects float, got '{text}'") from None
    if isinstance(default, str):
        return _unquote(text)
    raise UserError(f"hparam '{key}' has a default of type {_type_name(default)}, "
                    "which cannot be overridden from a string")


def _unquote(text):
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _parse_value(key, text, default):
    text = text.strip()
    if isinstance(default, list):
        if not (text.startswith("[") and text.endswith("]")):
            raise UserError(f"hparam '{key}' expects {_type_name(default)} written as "
                            f"[a,b,...], got '{text}'")
        body = text[1:-1].strip()
        if not body:
            return []
        element_default = default[0] if default else None
        return [_parse_scalar(key, part, element_default) for part in body.split(",")]
    if text.startswith("[") and default is not None:
        raise UserError(f"hparam '{key}' expects {_type_name(default)}, got a list '{text}'")
    return _parse_scalar(key, text, default)


def split_overrides(overrides: str) -> List[Tuple[str, str]]:
    """Splits 'a=1,b=[1,2],c=x' into [('a','1'), ('b','[1,2]'), ('c','x')]."""
    pairs, depth, current = [], 0, ""
    for char in overrides:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
            if depth < 0:
                raise UserError(f"unbalanced ']' in hparams overrides '{overrides}'")
        if char == "," and depth == 0:
            pairs.append(current)
            current = ""
        else:
            current += char
    if depth != 0:
        raise UserError(f"unbalanced '[' in hparams overrides '{overrides}'")
    pairs.append(current)
    result = []
    for pair in pairs:
        if not pair.strip():
            continue
        if "=" not in pair:
            raise UserError(f"hparams override '{pair.strip()}' is not of the form key=value")
        key, value = pair.split("=", 1)
        key = key.strip()
        if not key:
            raise UserError(f"hparams override '{pair.strip()}' has an empty key")
        result.append((key, value))
    return result


class HParams:
    """Named hyperparameters with attribute access.

    Fields are fixed once a set is built: `parse` and `set_hparam` only change existing
    fields (keeping their type); `add_hparam` is the one explicit way to add a field.
    """

    def __init__(self, **fields):
        object.__setattr__(self, "_fields", dict(fields))

    def __getattr__(self, name):
        fields = object.__getattribute__(self, "_fields")
        if name in fields:
            return fields[name]
        raise AttributeError(f"HParams has no field '{name}'{did_you_mean(name, fields)}")

    def __setattr__(self, name, value):
        self.set_hparam(name, value)

    def __contains__(self, name):
        return name in self._fields

    def __eq__(self, other):
        return isinstance(other, HParams) and self._fields == other._fields

    def __repr__(self):
        inner = ", ".join(f"{k}={v!r}" for k, v in self._fields.items())
        return f"HParams({inner})"

    def add_hparam(self, name: str, value: Any) -> None:
        if name in self._fields:
            raise ValueError(f"hparam '{name}' already exists")
        self._fields[name] = value

    def set_hparam(self, name: str, value: Any) -> None:
        if name not in self._fields:
            raise UserError(f"unknown hparam '{name}'{did_you_mean(name, self._fields)}")
        self._fields[name] = value

    def get(self, name: str, default: Any = None) -> Any:
        return self._fields.get(name, default)

    def values(self) -> Dict[str, Any]:
        """A copy of the fields as a plain dict."""
        return copy.deepcopy(self._fields)

    def copy(self) -> "HParams":
        return HParams(**self.values())

    def parse(self, overrides: str) -> "HParams":
        """Applies 'a=1,b=[0.5,0.0],c=name' overrides in place and returns self.

        Raises:
            UserError: for an unknown key (naming the closest keys), a value that does not
                fit the field's type, or a malformed string.
        """
        if not overrides:
            return self
        parsed = {}
        for key, text in split_overrides(overrides):
            if key not in self._fields:
                raise UserError(f"unknown hparam '{key}'{did_you_mean(key, self._fields)}")
            parsed[key] = _parse_value(key, text, self._fields[key])
        self._fields.update(parsed)
        return self

    def to_json(self, indent: Optional[int] = None) -> str:
        return json.dumps(self._fields, indent=indent, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "HParams":
        return cls(**json.loads(text))
