"""The documents layer: the problem bank, its variants, views, LaTeX documents, keys and exports.

It sits above the engine (solve, steps, nets, check) and never the other way. Import the module
you need (``symgrad.documents.bank``, ``.render``, ``.keys``, ...): this package imports nothing at
load, so grading a CSV does not pull in Jinja2.
"""
