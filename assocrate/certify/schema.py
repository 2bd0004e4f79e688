"""The JSON Schema of certificate files (theory.md §5, "The hypotheses each check checks").

:func:`validate_schema` checks a parsed certificate document against ``certificate.schema.json``
(JSON Schema 2020-12, shipped with the package) before any mathematics, so a malformed file is
refused with an error naming the field, never half-read. The schema fixes the types of every
field and parameter, the form of exact rationals (``"p/q"`` strings) and, for a certificate that
claims an exactly verified result, the exact entries its kind's check needs. What the schema
cannot see -- that a vector has one entry per class of the network, the signs, the inequalities
-- is hypothesis by hypothesis the job of the kind's check.
"""

from __future__ import annotations

import importlib.resources
import json

from ..errors import InvalidInput

__all__ = ["SCHEMA_FILE", "validate_schema"]

#: The JSON Schema every certificate file must satisfy, shipped with the package.
SCHEMA_FILE = "certificate.schema.json"


def _field_path(path) -> str:
    """``exact_data['v'].shape[0]`` for the path ``("exact_data", "v", "shape", 0)``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not text:
            text = str(part)
        elif text in ("data", "exact_data", "parameters") or text.endswith("]"):
            text += f"[{part!r}]" if text in ("data", "exact_data", "parameters") else f".{part}"
        else:
            text += f".{part}"
    return text or "(the document)"


def validate_schema(document: object) -> None:
    """Validate a parsed certificate document against :data:`SCHEMA_FILE` (JSON Schema 2020-12).

    Raises :class:`~assocrate.errors.InvalidInput` naming the offending field, e.g.
    ``certificate JSON field exact_data['v'] is invalid: ...``. Run before any mathematics, so a
    malformed file never reaches a check.
    """
    import jsonschema

    schema = json.loads(importlib.resources.files("assocrate.certify").joinpath(SCHEMA_FILE).read_text("utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is None:
        return
    where = _field_path(error.absolute_path)
    inside = "" if not error.absolute_path else f" in {where}"
    if error.validator == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        raise InvalidInput(f"certificate JSON is missing the field {missing[0]!r}{inside}")
    if error.validator == "additionalProperties":
        unknown = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        raise InvalidInput(f"certificate JSON has unknown fields {unknown}{inside}")
    if error.validator in ("enum", "const"):
        allowed = error.validator_value if error.validator == "enum" else [error.validator_value]
        raise InvalidInput(f"certificate JSON field {where} must be one of {allowed}; got {error.instance!r}")
    description = error.schema.get("description") if isinstance(error.schema, dict) else None
    if description and error.validator in ("oneOf", "pattern", "type"):
        raise InvalidInput(f"certificate JSON field {where} must be {description}; got {error.instance!r}")
    if error.validator == "type":
        raise InvalidInput(f"certificate JSON field {where} has the wrong type: {type(error.instance).__name__} "
                           f"(expected {error.validator_value})")
    raise InvalidInput(f"certificate JSON field {where} is invalid (schema {SCHEMA_FILE}): {error.message}")
