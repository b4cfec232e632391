"""Jinja2 LaTeX templates, shipped as package data (symgrad.templates)."""
