"""The problem bank, shipped as package data (symgrad.bank)."""
