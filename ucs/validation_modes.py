"""The values of UCS_VALIDATION, who judges an uploaded object (docs/validation.md).

A module of its own, below every layer, so the operations (the event consumer) name the modes without
importing ucs.validation, which builds on them.
"""

BUILTIN = "builtin"  # UCS reads the object back and judges it
EXTERNAL = "external"  # a validator of the archive's answers with a file.upload_validated event
NONE = "none"  # nobody: uploaded is final
MODES = (BUILTIN, EXTERNAL, NONE)
